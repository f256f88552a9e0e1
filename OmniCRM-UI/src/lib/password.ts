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

export function passwordProblems(password: string): string[] {
  const missing: string[] = [];
  if (password.length < 8) missing.push("at least 8 characters");
  if (!/[A-Z]/.test(password)) missing.push("an upper-case letter");
  if (!/[a-z]/.test(password)) missing.push("a lower-case letter");
  if (!/\d/.test(password)) missing.push("a digit");
  if (![...password].some((c) => "!@#$%^&*".includes(c))) missing.push("a special character (!@#$%^&*)");
  return missing;
}
