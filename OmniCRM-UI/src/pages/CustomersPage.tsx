import { ActionIcon, Badge, Button, Checkbox, Group, MultiSelect, Stack, Table, Text, TextInput, Title, Tooltip } from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import { IconEye, IconPlus, IconSearch, IconTrash } from "@tabler/icons-react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { CUSTOMER_STATUSES, customersApi, type Customer } from "../api/customers";
import { useAuth } from "../auth/AuthContext";
import { ListFooter, SortableTh } from "../components/ListControls";
import { ErrorState, LoadingState } from "../components/States";
import { formatDateTime } from "../config";
import { confirmDanger, notifyError, notifySuccess } from "../lib/feedback";
import { useListParams } from "../lib/useListParams";

const DEFAULTS = { per_page: 20, sort: "customer_id", order: "desc" as const };

export const STATUS_COLORS: Record<string, string> = { Open: "green", Suspended: "yellow", Closed: "gray", Archived: "dark" };

/** Spec 03 §4: search by name or ID, status filter, sort, pagination (all in the URL), row and bulk delete. */
export function CustomersPage() {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params, setParams] = useListParams(DEFAULTS);
  const [searchText, setSearchText] = useState(params.search);
  const pushSearch = useDebouncedCallback((search: string) => setParams({ search }), 300);
  const [selected, setSelected] = useState<number[]>([]);
  const canDelete = allows("delete_customer");

  const customers = useQuery({
    queryKey: ["customers", params],
    queryFn: () => customersApi.list(params),
    placeholderData: keepPreviousData,
  });

  const remove = useMutation({
    mutationFn: async (ids: number[]) => {
      for (const id of ids) await customersApi.remove(id);
    },
    onSuccess: (_d, ids) => {
      notifySuccess(t("common.deleted"));
      setSelected((s) => s.filter((id) => !ids.includes(id)));
    },
    onError: notifyError,
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["customers"] }),
  });

  const askDelete = (rows: Customer[]) => confirmDanger({
    title: t("customers.deleteTitle"),
    message: <Text size="sm">{t("customers.deleteConfirm", { name: rows.map((r) => r.customer_name).join(", ") })}</Text>,
    confirmLabel: t("common.delete"),
    onConfirm: () => remove.mutate(rows.map((r) => r.customer_id)),
  });

  const rows = customers.data?.data ?? [];
  const allSelected = rows.length > 0 && rows.every((r) => selected.includes(r.customer_id));
  const sortChange = (p: typeof params) => setParams(() => p);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("customers.title")}</Title>
        {allows("create_customer") && (
          <Button component={Link} to="/customers/new" leftSection={<IconPlus size={16} />}>{t("customers.new")}</Button>
        )}
      </Group>
      <Group wrap="wrap" align="flex-end">
        <TextInput
          leftSection={<IconSearch size={16} />}
          placeholder={t("customers.searchPlaceholder")}
          aria-label={t("customers.searchPlaceholder")}
          value={searchText}
          onChange={(e) => {
            setSearchText(e.currentTarget.value);
            pushSearch(e.currentTarget.value.trim());
          }}
          w={{ base: "100%", sm: 300 }}
        />
        <MultiSelect
          aria-label={t("customers.statusFilter")}
          placeholder={t("customers.statusFilter")}
          data={CUSTOMER_STATUSES.map((s) => ({ value: s, label: t(`customers.statuses.${s}`) }))}
          value={(params.filters.customer_status ?? []).map(String)}
          onChange={(values) => setParams({ filters: { ...params.filters, customer_status: values } })}
          clearable
          w={{ base: "100%", sm: 280 }}
        />
        {canDelete && selected.length > 0 && (
          <Button color="red" variant="light" leftSection={<IconTrash size={16} />}
            onClick={() => askDelete(rows.filter((r) => selected.includes(r.customer_id)))}>
            {t("customers.deleteSelected", { count: selected.length })}
          </Button>
        )}
      </Group>
      {customers.isError ? <ErrorState error={customers.error} onRetry={() => customers.refetch()} /> : customers.isPending ? <LoadingState /> : (
        <>
          <Table.ScrollContainer minWidth={700}>
            <Table striped highlightOnHover data-testid="customers-table">
              <Table.Thead>
                <Table.Tr>
                  {canDelete && (
                    <Table.Th w={40}>
                      <Checkbox aria-label={t("common.all")} checked={allSelected}
                        indeterminate={!allSelected && rows.some((r) => selected.includes(r.customer_id))}
                        onChange={() => setSelected(allSelected ? [] : rows.map((r) => r.customer_id))} />
                    </Table.Th>
                  )}
                  <SortableTh column="customer_id" params={params} onChange={sortChange}>{t("common.id")}</SortableTh>
                  <SortableTh column="customer_name" params={params} onChange={sortChange}>{t("customers.name")}</SortableTh>
                  <SortableTh column="customer_status" params={params} onChange={sortChange}>{t("customers.status")}</SortableTh>
                  <Table.Th>{t("customers.accountType")}</Table.Th>
                  <SortableTh column="created" params={params} onChange={sortChange}>{t("customers.created")}</SortableTh>
                  <Table.Th>{t("common.actions")}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.length === 0 && (
                  <Table.Tr><Table.Td colSpan={7}><Text c="dimmed" ta="center">{t("common.noResults")}</Text></Table.Td></Table.Tr>
                )}
                {rows.map((c) => (
                  <Table.Tr key={c.customer_id}>
                    {canDelete && (
                      <Table.Td>
                        <Checkbox aria-label={c.customer_name} checked={selected.includes(c.customer_id)}
                          onChange={() => setSelected((s) => (s.includes(c.customer_id) ? s.filter((id) => id !== c.customer_id) : [...s, c.customer_id]))} />
                      </Table.Td>
                    )}
                    <Table.Td>{c.customer_id}</Table.Td>
                    <Table.Td><Link to={`/customers/${c.customer_id}`}>{c.customer_name}</Link></Table.Td>
                    <Table.Td><Badge color={STATUS_COLORS[c.customer_status] ?? "gray"} variant="light">{t(`customers.statuses.${c.customer_status}`, { defaultValue: c.customer_status })}</Badge></Table.Td>
                    <Table.Td>{c.customer_account_type && t(`customers.accountTypes.${c.customer_account_type}`, { defaultValue: c.customer_account_type })}</Table.Td>
                    <Table.Td>{formatDateTime(c.created)}</Table.Td>
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
                        <Tooltip label={t("common.view")}>
                          <ActionIcon variant="subtle" aria-label={`${t("common.view")} ${c.customer_name}`} onClick={() => navigate(`/customers/${c.customer_id}`)}><IconEye size={18} /></ActionIcon>
                        </Tooltip>
                        {canDelete && (
                          <Tooltip label={t("common.delete")}>
                            <ActionIcon variant="subtle" color="red" aria-label={`${t("common.delete")} ${c.customer_name}`} onClick={() => askDelete([c])}><IconTrash size={18} /></ActionIcon>
                          </Tooltip>
                        )}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <ListFooter pagination={customers.data.pagination} params={params} onChange={setParams} />
        </>
      )}
    </Stack>
  );
}
