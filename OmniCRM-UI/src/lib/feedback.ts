import { notifications } from "@mantine/notifications";
import { modals } from "@mantine/modals";
import type { ReactNode } from "react";
import { ApiError, errorMessage } from "../api";
import i18n from "../i18n";

export function notifySuccess(message: string) {
  notifications.show({ color: "green", message, autoClose: 4000 });
}

export function notifyError(error: unknown) {
  notifications.show({ color: "red", title: i18n.t("common.errorTitle"), message: errorMessage(error), autoClose: 8000 });
}

/** notifyError with a title that names what failed (e.g. "Card declined"); the default title when none is given. */
export function notifyErrorTitled(error: unknown, title: string | undefined) {
  notifications.show({ color: "red", title: title ?? i18n.t("common.errorTitle"), message: errorMessage(error), autoClose: 8000 });
}

interface Form {
  setErrors: (errors: Record<string, ReactNode>) => void;
  values: object;
}

function hasPath(values: object, path: string): boolean {
  let current: unknown = values;
  for (const part of path.split(".")) {
    if (!current || typeof current !== "object" || !(part in current)) return false;
    current = (current as Record<string, unknown>)[part];
  }
  return true;
}

/** The form path for an API field name: an exact alias, or a prefix alias ("contacts[0]." → "contact."). */
function formPath(field: string, aliases: Record<string, string>): string {
  if (aliases[field]) return aliases[field];
  const prefix = Object.keys(aliases).find((key) => key.endsWith(".") && field.startsWith(key));
  return prefix ? aliases[prefix] + field.slice(prefix.length) : field;
}

/**
 * Show the API's field errors next to the form's fields (nested fields too: `contact.contact_email`). Errors for fields the form does not have are put in
 * the message so nothing is lost; returns the text for the form's general error line.
 */
export function applyApiErrors(form: Form, error: unknown, aliases: Record<string, string> = {}): string {
  if (!(error instanceof ApiError)) return errorMessage(error);
  const known: Record<string, string> = {};
  const other: string[] = [];
  for (const [field, message] of Object.entries(error.errors)) {
    const target = formPath(field, aliases);
    if (hasPath(form.values, target)) known[target] = message;
    else other.push(`${field}: ${message}`);
  }
  form.setErrors(known);
  return other.length ? `${error.message} (${other.join("; ")})` : error.message;
}

export function confirmDanger(options: { title: string; message: ReactNode; confirmLabel: string; onConfirm: () => void }) {
  modals.openConfirmModal({
    title: options.title,
    children: options.message,
    labels: { confirm: options.confirmLabel, cancel: i18n.t("common.cancel") },
    confirmProps: { color: "red", "data-testid": "confirm-danger" } as never,
    onConfirm: options.onConfirm,
  });
}
