import { Select } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { customersApi } from "../../api/customers";

/** "Search Clients": a customer chosen by name or ID from the server's search; the choice stays listed while typing. */
export function CustomerPicker({ label, value, onChange, error, testId }: {
  label: string;
  value: string | null;
  onChange: (value: string | null) => void;
  error?: string;
  testId?: string;
}) {
  const { t } = useTranslation();
  const [search, setSearch] = useState("");
  const [picked, setPicked] = useState<{ value: string; label: string } | null>(null);
  // Typing the chosen customer's own label is not a new search.
  const [debounced] = useDebouncedValue(picked && search === picked.label ? "" : search, 250);
  const customers = useQuery({
    queryKey: ["customers", "pick", debounced],
    queryFn: () => customersApi.list({ page: 1, per_page: 20, order: "asc", sort: "customer_name", search: debounced, filters: {} }),
    placeholderData: keepPreviousData,
  });
  const found = (customers.data?.data ?? []).map((c) => ({ value: String(c.customer_id), label: `${c.customer_name} (#${c.customer_id})` }));
  const data = picked && !found.some((o) => o.value === picked.value) ? [picked, ...found] : found;
  return (
    <Select label={label} placeholder={t("invoices.searchClientsHelp")} searchable required data={data} value={value}
      onChange={(next, option) => { setPicked(option ?? null); onChange(next); }}
      searchValue={search} onSearchChange={setSearch} filter={({ options }) => options} error={error} data-testid={testId}
      nothingFoundMessage={customers.isFetching ? t("common.loading") : t("common.noResults")} />
  );
}
