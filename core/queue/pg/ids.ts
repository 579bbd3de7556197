/** Task ids are bigint, carried as decimal strings; checked before they are spliced into a JSON parameter. */
export function taskId(id: string): string {
  if (!/^[0-9]{1,19}$/.test(id)) throw new Error(`invalid task id ${JSON.stringify(id)}`);
  return id;
}
