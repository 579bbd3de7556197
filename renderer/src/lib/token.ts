/**
 * The page's WebSocket to the headless host. It carries no token: the host logged this browser in
 * with an HttpOnly cookie when the printed login URL (?token=...) was opened, and the browser sends
 * that cookie with the socket's handshake. A token in a URL would end up in proxies' logs.
 */
export function socketUrl(pageProtocol: string, host: string): string {
  const scheme = pageProtocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${host}/api`;
}
