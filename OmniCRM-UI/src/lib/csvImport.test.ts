import { describe, expect, it } from "vitest";
import { importBatches, reportRows, splitCsv } from "./csvImport";

const CSV = [
  "ICCID,IMSI,Notes",
  "8961000000000000101,001010000000101,plain",
  '8961000000000000102,,"two, values"',
  "",
  '8961000000000000103,001010000000103,"spans',
  'two ""lines"""',
  "8961000000000000104,001010000000104,last",
].join("\r\n");

describe("inventory CSV import", () => {
  it("splits records like the csv module: quotes, commas, doubled quotes, line breaks, blank lines", () => {
    const file = splitCsv(`\uFEFF${CSV}`);
    expect(file.headerValues).toEqual(["ICCID", "IMSI", "Notes"]);
    expect(file.records.map((r) => [r.firstLine, r.lastLine])).toEqual([[2, 2], [3, 3], [5, 6], [7, 7]]);
    expect(file.records[1].values).toEqual(["8961000000000000102", "", "two, values"]);
    expect(file.records[2].values[2]).toBe('spans\r\ntwo "lines"');
  });

  it("maps the dry-run errors to their rows by line, keeping unmatched lines", () => {
    const file = splitCsv(CSV);
    const rows = reportRows(file, { errors: [
      { line: 3, errors: { IMSI: "is required" } },
      { line: 6, errors: { ICCID: "repeats line 2", Notes: "too long" } },
      { line: 40, errors: { row: "has 2 values, the header has 3" } },
    ] });
    expect(rows.map((r) => [r.line, r.ok])).toEqual([[2, true], [3, false], [6, false], [7, true], [40, false]]);
    expect(rows[1].problems).toEqual([{ column: "IMSI", message: "is required" }]);
    expect(rows[2].problems.map((p) => p.column)).toEqual(["ICCID", "Notes"]);
  });

  it("imports only the good rows, in batches that each carry the header", () => {
    const file = splitCsv(CSV);
    const rows = reportRows(file, { errors: [{ line: 3, errors: { IMSI: "is required" } }] });
    const batches = importBatches(file, rows, 2);
    expect(batches.map((b) => b.count)).toEqual([2, 1]);
    expect(batches[0].csv.split("\n")[0]).toBe("ICCID,IMSI,Notes");
    expect(batches[0].csv).toContain('"spans\r\ntwo ""lines"""');
    expect(batches[0].csv).not.toContain("0102");
    expect(batches[1].csv).toBe("ICCID,IMSI,Notes\n8961000000000000104,001010000000104,last\n");
  });
});
