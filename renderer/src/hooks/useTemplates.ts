import { useCallback, useState } from 'react';
import { localStore } from './localStore.js';
import { deleteTemplate, loadTemplates, putTemplate, renameTemplate, saveTemplates, type Change, type Template, type Templates } from '../lib/templates.js';

export interface TemplateActions {
  list: Template[];
  /** Each returns null when done, or what went wrong (a bad name, storage refused). */
  save: (t: Template) => string | null;
  rename: (from: string, to: string) => string | null;
  remove: (name: string) => void;
}

/** The templates of one scope (drone and type), kept in localStorage. */
export function useTemplates(scope: string): TemplateActions {
  const [all, setAll] = useState<Templates>(() => loadTemplates(localStore()));
  const apply = useCallback(
    (change: Change): string | null => {
      if (!change.ok) return change.message;
      setAll(change.all);
      return saveTemplates(localStore(), change.all) ? null : 'Saved for this session only: the browser refused to store it (storage full or disabled)';
    },
    [setAll],
  );
  return {
    list: all[scope] ?? [],
    save: (t) => apply(putTemplate(all, scope, t)),
    rename: (from, to) => apply(renameTemplate(all, scope, from, to)),
    remove: (name) => void apply({ ok: true, all: deleteTemplate(all, scope, name) }),
  };
}
