/**
 * Inventory CSV import (spec 02 §4): the API checks a file in a dry run and reports bad rows by the line where the
 * row ends (Python's csv line_num); the console shows every row with its problems, then imports the good rows in
 * batches so the user sees a real progress bar. Rows are split the way the csv module does: a quoted value may
 * hold commas, doubled quotes and line breaks.
 */
import type { ImportReport } from "../api/domain";

export interface CsvRecord {
  /** Physical line where the record starts / ends (1 = the header). */
  firstLine: number;
  lastLine: number;
  text: string;
  values: string[];
}

export interface CsvFile {
  header: string;
  headerValues: string[];
  records: CsvRecord[];
}

/** Split CSV text into the header and its records, keeping each record's own text and line numbers. */
export function splitCsv(input: string): CsvFile {
  const text = input.replace(/^\uFEFF/, "");
  const all: CsvRecord[] = [];
  let line = 1;
  let start = 0;
  let startLine = 1;
  let quoted = false;
  let values: string[] = [];
  let value = "";
  const finish = (end: number) => {
    values.push(value);
    all.push({ firstLine: startLine, lastLine: line, text: text.slice(start, end), values });
    values = [];
    value = "";
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { value += '"'; i += 1; }
      else if (c === '"') quoted = false;
      else { if (c === "\n") line += 1; value += c; }
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ",") { values.push(value); value = ""; }
    else if (c === "\r" && text[i + 1] === "\n") continue;
    else if (c === "\n") {
      finish(text[i - 1] === "\r" ? i - 1 : i);
      line += 1;
      start = i + 1;
      startLine = line;
    } else value += c;
  }
  if (start < text.length) finish(text.length);
  const [headerRecord, ...rest] = all;
  return {
    header: headerRecord?.text ?? "",
    headerValues: headerRecord?.values ?? [],
    records: rest.filter((r) => r.values.some((v) => v.trim() !== "")),
  };
}

export interface ReportRow {
  line: number;
  values: string[];
  ok: boolean;
  problems: { column: string; message: string }[];
}

/** One row per data record of the file, each with the problems the dry run found on its line. */
export function reportRows(file: CsvFile, report: Pick<ImportReport, "errors">): ReportRow[] {
  const byLine = new Map(report.errors.map((e) => [e.line, e.errors]));
  const rows: ReportRow[] = file.records.map((record) => {
    const errors = byLine.get(record.lastLine) ?? byLine.get(record.firstLine);
    byLine.delete(record.lastLine);
    byLine.delete(record.firstLine);
    return {
      line: record.lastLine,
      values: record.values,
      ok: !errors,
      problems: Object.entries(errors ?? {}).map(([column, message]) => ({ column, message })),
    };
  });
  // A problem on a line the console could not match to a record is still shown, never dropped.
  for (const [line, errors] of byLine) {
    rows.push({ line, values: [], ok: false, problems: Object.entries(errors).map(([column, message]) => ({ column, message })) });
  }
  return rows.sort((a, b) => a.line - b.line);
}

/** The good rows as CSV texts of at most `size` rows each, every one with the header, for batch imports. */
export function importBatches(file: CsvFile, rows: ReportRow[], size = 25): { csv: string; count: number }[] {
  const good = new Set(rows.filter((r) => r.ok).map((r) => r.line));
  const records = file.records.filter((r) => good.has(r.lastLine));
  const batches: { csv: string; count: number }[] = [];
  for (let i = 0; i < records.length; i += size) {
    const chunk = records.slice(i, i + size);
    batches.push({ csv: `${[file.header, ...chunk.map((r) => r.text)].join("\n")}\n`, count: chunk.length });
  }
  return batches;
}
