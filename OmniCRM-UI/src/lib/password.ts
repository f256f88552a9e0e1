/** A temporary password that meets the API's policy (8+ chars, upper, lower, digit, one of !@#$%^&*). */
const SETS = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!@#$%^&*"];

export function generateTempPassword(length = 14, random: (n: number) => number = cryptoRandom): string {
  const all = SETS.join("");
  const chars = SETS.map((set) => set[random(set.length)]);
  while (chars.length < length) chars.push(all[random(all.length)]);
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = random(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join("");
}

function cryptoRandom(n: number): number {
  const buffer = new Uint32Array(1);
  crypto.getRandomValues(buffer);
  return buffer[0] % n;
}

/** The rules of the API's password policy, in the order the form lists them. */
export type PasswordRule = "length" | "upper" | "lower" | "digit" | "special";

/** The policy rules `password` misses (empty when the API will accept it), for translated messages. */
export function missingPasswordRules(password: string): PasswordRule[] {
  const missing: PasswordRule[] = [];
  if (password.length < 8) missing.push("length");
  if (!/[A-Z]/.test(password)) missing.push("upper");
  if (!/[a-z]/.test(password)) missing.push("lower");
  if (!/\d/.test(password)) missing.push("digit");
  if (![...password].some((c) => "!@#$%^&*".includes(c))) missing.push("special");
  return missing;
}

const ENGLISH_RULES: Record<PasswordRule, string> = {
  length: "at least 8 characters", upper: "an upper-case letter", lower: "a lower-case letter", digit: "a digit",
  special: "a special character (!@#$%^&*)",
};

export function passwordProblems(password: string): string[] {
  return missingPasswordRules(password).map((rule) => ENGLISH_RULES[rule]);
}
