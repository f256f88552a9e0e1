import { describe, expect, it } from "vitest";
import { missingPasswordRules, passwordProblems } from "./password";
import { codeDigits, codeToSubmit, isBackupCode, offersTwoFactorSetup } from "./twoFactor";

describe("2FA codes as typed", () => {
  it("keeps only digits, at most the code's length", () => {
    expect(codeDigits("12 3-4a5", 6)).toBe("12345");
    expect(codeDigits("1234567", 6)).toBe("123456");
  });

  it("submits once, at the 6th digit, never while a check runs", () => {
    expect(codeToSubmit("12345", "123456", false)).toBe("123456");
    expect(codeToSubmit("1234", "12345", false)).toBeNull();
    expect(codeToSubmit("12345", "123456", true)).toBeNull();
    // The same full code again (e.g. a re-render) is not sent twice.
    expect(codeToSubmit("123456", "123456", false)).toBeNull();
  });

  it("recognises 8-digit backup codes, ignoring spaces and dashes", () => {
    expect(isBackupCode("1234 5678")).toBe(true);
    expect(isBackupCode("1234-5678")).toBe(true);
    expect(isBackupCode("1234567")).toBe(false);
    expect(isBackupCode("3fa5b9c2")).toBe(false);
  });

  it("offers enrolment to staff without 2FA only", () => {
    expect(offersTwoFactorSetup(["admin"], false)).toBe(true);
    expect(offersTwoFactorSetup(["admin"], true)).toBe(false);
    expect(offersTwoFactorSetup(["Customer"], false)).toBe(false);  // the default role's real name
    expect(offersTwoFactorSetup(["customer"], false)).toBe(false);
  });
});

describe("password policy", () => {
  it("names every missing rule", () => {
    expect(missingPasswordRules("")).toEqual(["length", "upper", "lower", "digit", "special"]);
    expect(missingPasswordRules("abcdefgh")).toEqual(["upper", "digit", "special"]);
    expect(missingPasswordRules("Abcdef1!")).toEqual([]);
    expect(passwordProblems("Abcdefg!")).toEqual(["a digit"]);
  });
});
