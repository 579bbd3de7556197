/**
 * The access token of the headless host travels once in the page URL (?token=...), printed by
 * `swarmage drone --ui`. We take it out of the address bar (so it does not end up in screenshots,
 * bookmarks or history) and keep it for this tab only.
 */
export function takeTokenFromUrl(href: string): { token: string | null; cleanedUrl: string | null } {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return { token: null, cleanedUrl: null };
  }
  const token = url.searchParams.get('token');
  if (token === null) return { token: null, cleanedUrl: null };
  url.searchParams.delete('token');
  return { token: token || null, cleanedUrl: url.toString() };
}

export function socketUrl(pageProtocol: string, host: string, token: string | null): string {
  const scheme = pageProtocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}
