/** NAB cost matrices (NAB config/profiles.json). */
export interface Profile {
  tpWeight: number;
  fnWeight: number;
  fpWeight: number;
}

export const PROFILES = {
  standard: { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 },
  reward_low_FP_rate: { tpWeight: 1, fnWeight: 1, fpWeight: 0.22 },
  reward_low_FN_rate: { tpWeight: 1, fnWeight: 2, fpWeight: 0.11 },
} as const satisfies Record<string, Profile>;

export type ProfileName = keyof typeof PROFILES;
export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

/** Rows of each file that are never scored: min(floor(0.15 n), 750). */
export function probationLength(n: number): number {
  return Math.min(Math.floor(0.15 * n), 750);
}
