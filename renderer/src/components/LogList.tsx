import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { LogLine } from '../../../core/api/contract.js';
import { useApp } from '../hooks/useApp.js';
import { LogRow } from './LogRow.js';

/** Must match .log-row's height in the CSS: fixed rows keep 100,000 lines cheap to lay out. */
export const LOG_ROW_HEIGHT = 22;
const BOTTOM_SLACK = LOG_ROW_HEIGHT * 1.5;

interface Props {
  selected: LogLine | null;
  onSelect: (line: LogLine) => void;
  /** Shown over the list when it has no rows. */
  emptyText: string;
}

/**
 * The live tail. It follows new lines while the user is at the bottom; scrolling up stops that and
 * counts what arrived since, until "jump to newest". While stopped, lines dropped at the front
 * (the buffer is full) are compensated so the visible lines stay put.
 */
export function LogList({ selected, onSelect, emptyText }: Props) {
  const version = useApp((s) => s.logsVersion);
  const filter = useApp((s) => s.logFilter);
  const view = useApp((s) => s.logs);
  const count = view.length;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const followRef = useRef(true);
  const addedAtPause = useRef(0);
  const seenDropped = useRef(view.dropped);

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => LOG_ROW_HEIGHT,
    overscan: 25,
  });

  const setFollowing = useCallback(
    (on: boolean) => {
      followRef.current = on;
      setFollow(on);
      if (!on) addedAtPause.current = view.added;
    },
    [view],
  );

  const jumpToNewest = useCallback(() => {
    setFollowing(true);
    const el = scrollRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [setFollowing]);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const dropped = view.dropped - seenDropped.current;
    seenDropped.current = view.dropped;
    if (followRef.current) el.scrollTop = el.scrollHeight;
    else if (dropped > 0) el.scrollTop = Math.max(0, el.scrollTop - dropped * LOG_ROW_HEIGHT);
  }, [version, view]);

  // The details pane opening (or the window resizing) shrinks the list: stay at the bottom if following.
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      if (followRef.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // A new filter is a new list: start again at its newest line.
  useEffect(() => {
    seenDropped.current = view.dropped;
    jumpToNewest();
  }, [filter, view, jumpToNewest]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK;
    if (atBottom !== followRef.current) setFollowing(atBottom);
  };

  const fresh = follow ? 0 : Math.max(0, view.added - addedAtPause.current);

  return (
    <div className="log-list-wrap">
      <div
        className="log-list"
        ref={scrollRef}
        onScroll={onScroll}
        tabIndex={0}
        role="log"
        aria-live="off"
        aria-label={`Log lines, ${count} shown`}
        data-testid="log-list"
      >
        <div className="log-list-inner" style={{ height: `${virtualizer.getTotalSize()}px` }}>
          {virtualizer.getVirtualItems().map((item) => {
            const line = view.line(item.index);
            return line ? <LogRow key={item.key} line={line} top={item.start} selected={line === selected} onSelect={onSelect} /> : null;
          })}
        </div>
      </div>
      {count === 0 && <div className="log-empty muted">{emptyText}</div>}
      {!follow && count > 0 && (
        <button type="button" className="btn primary jump" onClick={jumpToNewest} data-testid="log-jump">
          Jump to newest{fresh > 0 ? ` (${fresh} new)` : ''}
        </button>
      )}
    </div>
  );
}
