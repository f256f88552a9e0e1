import { ActionIcon, Button, Group, Select, Stack, Text, TextInput, Textarea } from "@mantine/core";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import { RAT_TYPES, type LocalizedMessage, type TrackingArea } from "../api/cbc";
import { TOTAL_LIMIT, textInfo, totalCharacters } from "../lib/cbcText";

/** The live counter under a text: encoding, characters, pages and what is left of 15 pages. */
export function CbcCounter({ body, testId }: { body: string; testId?: string }) {
  const { t } = useTranslation();
  const info = textInfo(body);
  const color = info.too_long ? "red" : info.remaining < info.per_page ? "orange" : "dimmed";
  return (
    <Text size="xs" c={color} data-testid={testId} data-encoding={info.encoding} data-remaining={info.remaining}>
      {t("cbc.counter", { encoding: info.encoding, characters: info.characters, max: info.max_characters, pages: info.pages, remaining: info.remaining })}
      {info.too_long ? ` — ${t("cbc.tooLong")}` : info.remaining < info.per_page ? ` — ${t("cbc.nearLimit")}` : ""}
    </Text>
  );
}

/** All languages together against the guide's 500-character total (the API refuses more with a 400). */
export function CbcTotalCounter({ bodies, error }: { bodies: string[]; error?: string }) {
  const { t } = useTranslation();
  const total = totalCharacters(bodies);
  const color = total > TOTAL_LIMIT || error ? "red" : total > TOTAL_LIMIT * 0.9 ? "orange" : "dimmed";
  return (
    <Text size="xs" c={color} data-testid="cbc-total-counter" data-total={total}>
      {error ?? t("cbc.totalCounter", { characters: total, max: TOTAL_LIMIT })}
    </Text>
  );
}

export function LanguagesEditor({ value, onChange, errors = {} }: {
  value: LocalizedMessage[]; onChange: (v: LocalizedMessage[]) => void; errors?: Record<string, string>;
}) {
  const { t } = useTranslation();
  const set = (i: number, patch: Partial<LocalizedMessage>) => onChange(value.map((m, j) => (i === j ? { ...m, ...patch } : m)));
  return (
    <Stack gap="sm">
      {value.map((m, i) => (
        <Group key={i} align="flex-start" wrap="nowrap">
          <TextInput label={t("cbc.language")} w={90} value={m.language} data-testid={`cbc-language-${i}`}
            error={errors[`localized_messages[${i}].language`]} onChange={(e) => set(i, { language: e.currentTarget.value.trim() })} />
          <Stack gap={2} style={{ flex: 1 }}>
            <Textarea label={t("cbc.messageBody")} autosize minRows={2} value={m.messageBody} data-testid={`cbc-body-${i}`}
              error={errors[`localized_messages[${i}].messageBody`]} onChange={(e) => set(i, { messageBody: e.currentTarget.value })} />
            <CbcCounter body={m.messageBody} testId={`cbc-counter-${i}`} />
          </Stack>
          <ActionIcon mt={26} variant="subtle" color="red" aria-label={t("cbc.remove")} onClick={() => onChange(value.filter((_, j) => j !== i))}>
            <IconTrash size={16} />
          </ActionIcon>
        </Group>
      ))}
      <CbcTotalCounter bodies={value.map((m) => m.messageBody)} error={errors.localized_messages} />
      <Button variant="light" size="xs" leftSection={<IconPlus size={14} />} w="fit-content" data-testid="cbc-add-language"
        onClick={() => onChange([...value, { language: "", messageBody: "" }])}>{t("cbc.addLanguage")}</Button>
    </Stack>
  );
}

export function AreasEditor({ value, onChange, errors = {}, field = "tracking_areas" }: {
  value: TrackingArea[]; onChange: (v: TrackingArea[]) => void; errors?: Record<string, string>; field?: string;
}) {
  const { t } = useTranslation();
  const set = (i: number, patch: Partial<TrackingArea>) => onChange(value.map((a, j) => (i === j ? { ...a, ...patch } : a)));
  return (
    <Stack gap="xs">
      {value.map((a, i) => (
        <Group key={i} align="flex-start" wrap="wrap">
          <TextInput label={t("cbc.trackingArea")} w={150} value={a.tracking_area} data-testid={`cbc-tac-${i}`}
            error={errors[`${field}[${i}].tracking_area`]} onChange={(e) => set(i, { tracking_area: e.currentTarget.value.trim() })} />
          <TextInput label={t("cbc.cellId")} w={150} value={a.cell_id ?? ""} error={errors[`${field}[${i}].cell_id`]}
            onChange={(e) => set(i, { cell_id: e.currentTarget.value.trim() || null })} />
          <TextInput label={t("cbc.operator")} w={150} value={a.operator} placeholder="310-410" data-testid={`cbc-operator-${i}`}
            error={errors[`${field}[${i}].operator`]} onChange={(e) => set(i, { operator: e.currentTarget.value.trim() })} />
          <Select label={t("cbc.ratType")} w={110} data={[...RAT_TYPES]} value={a.rat_type} allowDeselect={false}
            data-testid={`cbc-rat-${i}`} error={errors[`${field}[${i}].rat_type`]} onChange={(v) => set(i, { rat_type: v ?? "LTE" })} />
          <ActionIcon mt={26} variant="subtle" color="red" aria-label={t("cbc.remove")} onClick={() => onChange(value.filter((_, j) => j !== i))}>
            <IconTrash size={16} />
          </ActionIcon>
        </Group>
      ))}
      <Button variant="light" size="xs" leftSection={<IconPlus size={14} />} w="fit-content" data-testid="cbc-add-area"
        onClick={() => onChange([...value, { tracking_area: "", operator: "", rat_type: "LTE", cell_id: null }])}>{t("cbc.addTrackingArea")}</Button>
    </Stack>
  );
}
