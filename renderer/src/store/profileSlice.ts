/**
 * Which drones the app operates and which one the UI shows. Every per-drone view reads the selected
 * drone's snapshot and logs; switching clears them (sync.ts then fetches the new drone's), so no
 * view ever shows one drone's numbers under another's name.
 */
import type { NavigateTo, ProfilesView } from '../../../core/api/contract.js';

export interface ProfileSlice {
  profiles: ProfilesView | null;
  /** The drone shown (ProfileInfo.id); null while there is none. */
  profile: string | null;
  /** The "add a drone" screen is open (it is also what shows while there are no profiles). */
  addingProfile: boolean;
  /** The failure cause a notification pointed at, highlighted in Failures. */
  focusGroup: string | null;

  setProfiles(view: ProfilesView): void;
  selectProfile(id: string | null): void;
  setAddingProfile(open: boolean): void;
  navigate(to: NavigateTo): void;
}

export type ProfileSet = (partial: Partial<ProfileSlice> | ((s: ProfileSlice) => Partial<ProfileSlice>)) => void;

/** The selected drone if it is still there, else the one remembered, else the first. */
export function pickProfile(view: ProfilesView, current: string | null, remembered: string | null): string | null {
  const has = (id: string | null) => id !== null && view.profiles.some((p) => p.id === id);
  if (has(current)) return current;
  if (has(remembered)) return remembered;
  return view.profiles[0]?.id ?? null;
}
