/** Where a debug instance's inspector listens, once it said so on stderr. */
export interface InspectorAddress {
  host: string;
  port: number;
  webSocketUrl: string;
}
