/** A column: its label, right-aligned when it holds numbers, read out only (no visible label) when hidden. */
export interface Column {
  label: string;
  num?: boolean;
  hidden?: boolean;
}

/** A table's header row. */
export function TableHead({ columns }: { columns: readonly Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c.label} scope="col" className={c.num ? 'num' : undefined}>
            {c.hidden ? <span className="sr-only">{c.label}</span> : c.label}
          </th>
        ))}
      </tr>
    </thead>
  );
}
