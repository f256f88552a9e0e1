/**
 * Second-factor codes as the user types them (spec 02 §7.3/§7.5): a 6-digit authenticator code submits itself once
 * complete; a backup code is 8 digits. Spaces and dashes are ignored, as the API does.
 */
export const TOTP_DIGITS = 6;
export const BACKUP_CODE_DIGITS = 8;

/** The digits of what was typed or pasted, cut to `max` (the field never holds anything else). */
export function codeDigits(typed: string, max: number): string {
  return typed.replace(/\D/g, "").slice(0, max);
}

/**
 * The code to send now, or null: only when the field has just become a full 6-digit code (so a failed code is not
 * sent again until the user changes it) and no check is already running.
 */
export function codeToSubmit(previous: string, next: string, busy: boolean): string | null {
  return !busy && next.length === TOTP_DIGITS && next !== previous ? next : null;
}

export function isBackupCode(typed: string): boolean {
  return new RegExp(`^\\d{${BACKUP_CODE_DIGITS}}$`).test(typed.replace(/[\s-]/g, ""));
}

/** What the login answers for a user with 2FA: the second step needs this user id and short-lived token. */
export interface TwoFactorChallenge {
  userId: number;
  mfaToken: string;
  remember: boolean;
}

/** 2FA is for staff: customer-role users (the role is named "Customer"; any case) are never prompted to enrol
 * (spec 02 §7.5). */
export function offersTwoFactorSetup(roles: readonly string[] | undefined, enabled: boolean | undefined): boolean {
  return !enabled && !(roles ?? []).some((role) => role.toLowerCase() === "customer");
}
