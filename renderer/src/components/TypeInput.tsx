interface Props {
  /** Names the list of suggestions (a page may have several such fields). */
  id: string;
  value: string;
  onChange: (value: string) => void;
  /** Suggested types; any other name may be typed. */
  types: readonly string[];
  placeholder: string;
  required?: boolean;
  testId: string;
}

/** A task type typed in, with the known types suggested. */
export function TypeInput({ id, value, onChange, types, placeholder, required, testId }: Props) {
  return (
    <>
      <input
        type="text"
        list={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        spellCheck={false}
        required={required}
        data-testid={testId}
      />
      <datalist id={id}>
        {types.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
    </>
  );
}
