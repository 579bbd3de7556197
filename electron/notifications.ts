/**
 * A desktop notification for each `failure` event of the profile manager. Core already decides
 * which failures are worth one (core/app/failureNotices.ts: the first of each cause, a few a minute
 * per drone), so every event that arrives here is shown. Electron's Notification is a parameter.
 */
import type { NotificationConstructorOptions } from 'electron';
import type { EventMessage, FailureNotice } from '../core/api/contract.js';

export interface NotificationLike {
  on(event: 'click' | 'close', listener: () => void): unknown;
  show(): void;
}

export interface NotificationClass {
  new (options: NotificationConstructorOptions): NotificationLike;
  isSupported(): boolean;
}

export interface EventSource {
  on(event: 'event', listener: (msg: EventMessage) => void): unknown;
  off(event: 'event', listener: (msg: EventMessage) => void): unknown;
}

/** "billing: tasks failing" / "charge-invoice: card declined (402)". */
export function failureNotification(n: FailureNotice): NotificationConstructorOptions {
  return { title: `${n.profileName}: tasks failing`, body: `${n.type}: ${n.message}`.slice(0, 240) };
}

/** Shown notifications are kept until clicked or closed: one collected early never delivers its click. */
const KEEP = 20;

/** Starts notifying; returns the function that stops. `onClick` gets the failure a clicked notification told of. */
export function notifyFailures(Notification: NotificationClass, source: EventSource, onClick: (n: FailureNotice) => void): () => void {
  const shown = new Set<NotificationLike>();
  const listener = (msg: EventMessage) => {
    if (msg.event !== 'failure' || !Notification.isSupported()) return;
    const notice = msg.data as FailureNotice;
    const n = new Notification(failureNotification(notice));
    shown.add(n);
    if (shown.size > KEEP) shown.delete(shown.values().next().value!);
    n.on('click', () => {
      shown.delete(n);
      onClick(notice);
    });
    n.on('close', () => shown.delete(n));
    n.show();
  };
  source.on('event', listener);
  return () => source.off('event', listener);
}
