import { Badge, Group, MultiSelect, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import { IconSearch } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { SERVICE_STATUSES, servicesApi } from "../api/domain";
import { ListFooter, SortableTh } from "../components/ListControls";
import { ErrorState, LoadingState } from "../components/States";
import { formatDateTime, formatMoney } from "../config";
import { useListParams } from "../lib/useListParams";
import { SERVICE_STATUS_COLORS } from "./ServicePage";

/** Spec 05 §1.8: 10, 25, 50 or 100 services per page, newest first. */
export const SERVICE_PAGE_SIZES = [10, 25, 50, 100] as const;
const DEFAULTS = { per_page: 10, sort: "service_id", order: "desc" as const };

/** Service management list (spec 05 §1): search, status filter, sort and page in the URL. */
export function ServicesPage() {
  const { t } = useTranslation();
  const [params, setParams] = useListParams(DEFAULTS);
  const [searchText, setSearchText] = useState(params.search);
  const pushSearch = useDebouncedCallback((search: string) => setParams({ search }), 300);
  const services = useQuery({ queryKey: ["services", params], queryFn: () => servicesApi.list(params), placeholderData: keepPreviousData });
  const rows = services.data?.data ?? [];
  const sortChange = (p: typeof params) => setParams(() => p);
  return (
    <Stack>
      <Title order={2}>{t("services.title")}</Title>
      <Group wrap="wrap" align="flex-end">
        <TextInput leftSection={<IconSearch size={16} />} placeholder={t("services.searchPlaceholder")} aria-label={t("services.searchPlaceholder")}
          value={searchText} onChange={(e) => { setSearchText(e.currentTarget.value); pushSearch(e.currentTarget.value.trim()); }} w={{ base: "100%", sm: 300 }} />
        <MultiSelect aria-label={t("common.status")} placeholder={t("common.status")} clearable w={{ base: "100%", sm: 300 }}
          data={SERVICE_STATUSES.map((s) => ({ value: s, label: t(`services.statuses.${s}`) }))}
          value={(params.filters.service_status ?? []).map(String)}
          onChange={(values) => setParams({ filters: { ...params.filters, service_status: values } })} />
      </Group>
      {services.isError ? <ErrorState error={services.error} onRetry={() => services.refetch()} /> : services.isPending ? <LoadingState /> : (
        <>
          <Table.ScrollContainer minWidth={700}>
            <Table striped highlightOnHover data-testid="services-table">
              <Table.Thead>
                <Table.Tr>
                  <SortableTh column="service_id" params={params} onChange={sortChange}>{t("common.id")}</SortableTh>
                  <SortableTh column="service_name" params={params} onChange={sortChange}>{t("common.name")}</SortableTh>
                  <Table.Th>{t("services.type")}</Table.Th>
                  <SortableTh column="service_status" params={params} onChange={sortChange}>{t("common.status")}</SortableTh>
                  <Table.Th>{t("services.customer")}</Table.Th>
                  <Table.Th>{t("services.cost")}</Table.Th>
                  <Table.Th>{t("common.created")}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {!rows.length && <Table.Tr><Table.Td colSpan={7}><Text c="dimmed" ta="center">{t("common.noResults")}</Text></Table.Td></Table.Tr>}
                {rows.map((s) => (
                  <Table.Tr key={s.service_id}>
                    <Table.Td>{s.service_id}</Table.Td>
                    <Table.Td><Link to={`/services/${s.service_id}`}>{s.service_name}</Link></Table.Td>
                    <Table.Td>{s.service_type}</Table.Td>
                    <Table.Td><Badge variant="light" color={SERVICE_STATUS_COLORS[s.service_status] ?? "gray"}>{t(`services.statuses.${s.service_status}`, { defaultValue: s.service_status })}</Badge></Table.Td>
                    <Table.Td><Link to={`/customers/${s.customer_id}`}>{s.customer_id}</Link></Table.Td>
                    <Table.Td>{formatMoney(s.retail_cost)}</Table.Td>
                    <Table.Td>{formatDateTime(s.created)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <ListFooter pagination={services.data.pagination} params={params} onChange={setParams} choices={SERVICE_PAGE_SIZES} />
        </>
      )}
    </Stack>
  );
}
