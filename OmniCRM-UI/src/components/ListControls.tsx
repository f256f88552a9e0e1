import { Group, Pagination, Select, Table, Text, UnstyledButton } from "@mantine/core";
import { IconChevronDown, IconChevronUp, IconSelector } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { Pagination as PageInfo } from "../api";
import { PER_PAGE_CHOICES, type ListParams, toggleSort } from "../lib/listParams";

interface SortableProps {
  column: string;
  params: ListParams;
  onChange: (next: ListParams) => void;
  children: ReactNode;
}

/** A column header that sorts the list; aria-sort tells screen readers (and tests) the current order. */
export function SortableTh({ column, params, onChange, children }: SortableProps) {
  const active = params.sort === column;
  const Icon = !active ? IconSelector : params.order === "asc" ? IconChevronUp : IconChevronDown;
  return (
    <Table.Th aria-sort={active ? (params.order === "asc" ? "ascending" : "descending") : "none"}>
      <UnstyledButton onClick={() => onChange(toggleSort(params, column))} style={{ display: "inline-flex", alignItems: "center", gap: 4, fontWeight: 700 }}>
        {children}
        <Icon size={14} />
      </UnstyledButton>
    </Table.Th>
  );
}

interface FooterProps {
  pagination?: PageInfo;
  params: ListParams;
  onChange: (change: Partial<ListParams>) => void;
  /** The page sizes offered (a list may follow its own spec, e.g. services: 10, 25, 50, 100). */
  choices?: readonly number[];
}

export function ListFooter({ pagination, params, onChange, choices = PER_PAGE_CHOICES }: FooterProps) {
  const { t } = useTranslation();
  const total = pagination?.total_items ?? 0;
  const from = total ? (params.page - 1) * params.per_page + 1 : 0;
  const to = Math.min(total, params.page * params.per_page);
  return (
    <Group justify="space-between" mt="md" wrap="wrap" gap="sm">
      <Text size="sm" c="dimmed">{t("common.showing", { from, to, total })}</Text>
      <Group gap="sm" wrap="wrap">
        <Select
          aria-label={t("common.rowsPerPage")}
          size="xs"
          w={80}
          data={choices.map(String)}
          value={String(params.per_page)}
          onChange={(value) => value && onChange({ per_page: Number(value) })}
          allowDeselect={false}
        />
        <Pagination
          size="sm"
          total={Math.max(1, pagination?.total_pages ?? 1)}
          value={params.page}
          onChange={(page) => onChange({ page })}
          siblings={1}
          boundaries={1}
        />
      </Group>
    </Group>
  );
}
