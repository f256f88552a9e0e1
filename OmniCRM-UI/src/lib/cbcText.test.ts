import { describe, expect, it } from "vitest";
// The API's own cases (tests/cbc/test_cbc_text.py runs the same file): both sides count alike.
import cases from "../../../tests/cbc/cases.json";
import { TOTAL_LIMIT, textInfo, totalCharacters } from "./cbcText";

interface Case {
  name: string;
  text?: string;
  repeat?: [string, number];
  encoding: string;
  characters: number;
  pages: number;
  too_long?: boolean;
}

const text = (c: Case) => c.text ?? c.repeat![0].repeat(c.repeat![1]);

describe("cell broadcast text counting (same cases as the API)", () => {
  for (const c of cases as Case[]) {
    it(c.name, () => {
      const info = textInfo(text(c));
      expect([info.encoding, info.characters, info.pages]).toEqual([c.encoding, c.characters, c.pages]);
      if (c.too_long !== undefined) expect(info.too_long).toBe(c.too_long);
      expect(info.remaining).toBe(info.max_characters - info.characters);
      expect(info.max_characters).toBe(c.encoding === "GSM-7" ? 1395 : 615);
    });
  }
});

describe("total across languages", () => {
  it("counts the characters of every trimmed body", () => {
    expect(totalCharacters(["  abc ", "ñá", undefined, "😀"])).toBe(6);
    expect(TOTAL_LIMIT).toBe(500);
  });
});
