// The assumption profiles the corpus harness runs each package under, and the
// migrate arguments each needs from the CLI at hand (its --help says which
// options exist, so the harness works before and after `--assume` lands).

/** A profile of `asyncio-ts migrate`: which assumptions, and whether the package's tests check them (--verify). */
export interface Profile {
  name: "none" | "idiomatic" | "err-first";
  /** Run `migrate --verify "<the package's test command>"`. */
  verify: boolean;
}

/** In the order the table shows them: the proven-equivalent mode, the default, the widest. */
export const PROFILES: readonly Profile[] = [
  { name: "none", verify: false },
  { name: "idiomatic", verify: true },
  { name: "err-first", verify: true },
];

/** The arguments that select a profile, given the text of `migrate --help`; a note when the CLI lacks it. */
export function profileArgs(profile: Profile, help: string): { args: string[]; note?: string } {
  if (/--assume <|--assume \[/.test(help)) return { args: ["--assume", profile.name] };
  // Before the profiles landed: the CLI's default is the proven-equivalent mode (none).
  if (profile.name === "none") return { args: [] };
  if (profile.name === "err-first" && help.includes("--assume-err-first"))
    return { args: ["--assume-err-first"], note: "this CLI has no --assume: ran with --assume-err-first" };
  return { args: [], note: "this CLI has no --assume: ran with its default (the proven-equivalent mode)" };
}

/** Parses `--profiles none,err-first`. */
export function selectProfiles(list: string | undefined): Profile[] {
  if (!list) return [...PROFILES];
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !PROFILES.some((p) => p.name === n));
  if (bad.length)
    throw new Error(`unknown profile(s) ${bad.join(", ")}; known: ${PROFILES.map((p) => p.name).join(", ")}`);
  return PROFILES.filter((p) => names.includes(p.name));
}
