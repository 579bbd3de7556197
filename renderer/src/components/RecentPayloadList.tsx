/** Payloads sent before for this type; a click puts one back in the editor. */
export function RecentPayloadList({ type, payloads, onPick }: { type: string; payloads: readonly string[]; onPick: (text: string) => void }) {
  return (
    <section className="card recent" aria-labelledby="recent-title">
      <h3 id="recent-title">Recent payloads{type ? ` for ${type}` : ''}</h3>
      {payloads.length === 0 ? (
        <p className="muted">Payloads you send are remembered here (the last 20 per type, in this browser).</p>
      ) : (
        <ul className="recent-list">
          {payloads.map((p) => (
            <li key={p}>
              <button type="button" className="recent-item mono" onClick={() => onPick(p)} title={p} data-testid="enqueue-recent">
                {p.length > 160 ? `${p.slice(0, 160)}…` : p}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
