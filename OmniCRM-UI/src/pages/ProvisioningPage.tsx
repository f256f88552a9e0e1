import { Accordion, Anchor, Badge, Button, Card, Group, MultiSelect, Progress, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import { IconRefresh, IconSearch } from "@tabler/icons-react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { provisioningApi, type ProvisionJob } from "../api/domain";
import { useAuth } from "../auth/AuthContext";
import { FailureDetails, PROGRESS_POLL_MS, TaskList } from "../components/AssignPlan";
import { ListFooter, SortableTh } from "../components/ListControls";
import { ErrorState, LoadingState } from "../components/States";
import { formatDateTime } from "../config";
import { jobProgress, resultFields } from "../lib/assignPlan";
import { notifyError, notifySuccess } from "../lib/feedback";
import { useListParams } from "../lib/useListParams";

const DEFAULTS = { per_page: 20, sort: "provision_id", order: "desc" as const };
const STATUS_KEY: Record<number, "success" | "running" | "failed"> = { 0: "success", 1: "running", 2: "failed" };
const STATUS_COLOR = { success: "green", running: "blue", failed: "red" } as const;

export function JobStatusBadge({ status }: { status: number }) {
  const { t } = useTranslation();
  const key = STATUS_KEY[status] ?? "failed";
  return <Badge variant="light" color={STATUS_COLOR[key]} data-testid="job-status">{t(`provisioning.statuses.${key}`)}</Badge>;
}

/** Provisioning jobs (spec 04 §7): newest first, search, status filter; running jobs refresh on their own. */
export function ProvisioningPage() {
  const { t } = useTranslation();
  const [params, setParams] = useListParams(DEFAULTS);
  const [searchText, setSearchText] = useState(params.search);
  const pushSearch = useDebouncedCallback((search: string) => setParams({ search }), 300);
  const jobs = useQuery({
    queryKey: ["provisioning", params], queryFn: () => provisioningApi.list(params), placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.data.some((j) => j.provisioning_status === 1) ? 3000 : false),
  });
  const rows = jobs.data?.data ?? [];
  const sortChange = (p: typeof params) => setParams(() => p);
  return (
    <Stack>
      <Title order={2}>{t("provisioning.title")}</Title>
      <Group wrap="wrap" align="flex-end">
        <TextInput leftSection={<IconSearch size={16} />} placeholder={t("provisioning.searchPlaceholder")} aria-label={t("provisioning.searchPlaceholder")}
          value={searchText} onChange={(e) => { setSearchText(e.currentTarget.value); pushSearch(e.currentTarget.value.trim()); }} w={{ base: "100%", sm: 300 }} />
        <MultiSelect aria-label={t("common.status")} placeholder={t("common.status")} clearable w={{ base: "100%", sm: 280 }}
          data={[0, 1, 2].map((s) => ({ value: String(s), label: t(`provisioning.statuses.${STATUS_KEY[s]}`) }))}
          value={(params.filters.provisioning_status ?? []).map(String)}
          onChange={(values) => setParams({ filters: { ...params.filters, provisioning_status: values.map(Number) } })} />
      </Group>
      {jobs.isError ? <ErrorState error={jobs.error} onRetry={() => jobs.refetch()} /> : jobs.isPending ? <LoadingState /> : (
        <>
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover data-testid="provisioning-table">
              <Table.Thead>
                <Table.Tr>
                  <SortableTh column="provision_id" params={params} onChange={sortChange}>{t("common.id")}</SortableTh>
                  <Table.Th>{t("provisioning.description")}</Table.Th>
                  <SortableTh column="customer_name" params={params} onChange={sortChange}>{t("provisioning.customer")}</SortableTh>
                  <Table.Th>{t("provisioning.product")}</Table.Th>
                  <SortableTh column="provisioning_status" params={params} onChange={sortChange}>{t("common.status")}</SortableTh>
                  <SortableTh column="created" params={params} onChange={sortChange}>{t("common.created")}</SortableTh>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {!rows.length && <Table.Tr><Table.Td colSpan={6}><Text c="dimmed" ta="center">{t("common.noResults")}</Text></Table.Td></Table.Tr>}
                {rows.map((job) => (
                  <Table.Tr key={job.provision_id}>
                    <Table.Td><Link to={`/provisioning/${job.provision_id}`}>{job.provision_id}</Link></Table.Td>
                    <Table.Td><Link to={`/provisioning/${job.provision_id}`}>{job.playbook_description || job.provisioning_play}</Link></Table.Td>
                    <Table.Td>{job.customer_id ? <Link to={`/customers/${job.customer_id}`}>{job.customer_name ?? job.customer_id}</Link> : "—"}</Table.Td>
                    <Table.Td>{job.product_name}</Table.Td>
                    <Table.Td><JobStatusBadge status={job.provisioning_status} /></Table.Td>
                    <Table.Td>{formatDateTime(job.created)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <ListFooter pagination={jobs.data.pagination} params={params} onChange={setParams} />
        </>
      )}
    </Stack>
  );
}

function variablesOf(job: ProvisionJob): [string, string][] {
  try {
    const vars = JSON.parse(job.provisioning_json_vars ?? "{}") as Record<string, unknown>;
    return Object.entries(vars).map(([k, v]) => [k, typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)]);
  } catch {
    return [];
  }
}

/** One job: its tasks as they run (spec 04 §7.7), each task's result readable, the failure and a retry. */
export function ProvisionJobPage() {
  const { t } = useTranslation();
  const { provisionId } = useParams();
  const id = Number(provisionId);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { allows } = useAuth();
  const job = useQuery({
    queryKey: ["provision", id], queryFn: () => provisioningApi.get(id), enabled: Number.isInteger(id),
    refetchInterval: (q) => (q.state.data && q.state.data.provisioning_status !== 1 ? false : PROGRESS_POLL_MS),
  });
  const retry = useMutation({
    mutationFn: () => provisioningApi.retry(id),
    onSuccess: (created) => {
      notifySuccess(t("provisioning.retried", { id: created.provision_id }));
      void queryClient.invalidateQueries({ queryKey: ["provisioning"] });
      navigate(`/provisioning/${created.provision_id}`);
    },
    onError: notifyError,
  });
  if (job.isError) return <ErrorState error={job.error} onRetry={() => job.refetch()} />;
  if (job.isPending) return <LoadingState />;
  const j = job.data;
  const progress = jobProgress(j);
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Stack gap={2}>
          <Anchor component={Link} to="/provisioning" size="sm">{t("provisioning.backToList")}</Anchor>
          <Group gap="sm"><Title order={2}>{t("provisioning.job", { id: j.provision_id })}</Title><JobStatusBadge status={j.provisioning_status} /></Group>
        </Stack>
        {j.provisioning_status === 2 && allows("create_provision") && (
          <Button color="red" leftSection={<IconRefresh size={16} />} onClick={() => retry.mutate()} loading={retry.isPending} data-testid="job-retry">{t("provisioning.retry")}</Button>
        )}
      </Group>
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
          <div><Text size="xs" c="dimmed">{t("provisioning.description")}</Text><Text size="sm">{j.playbook_description}</Text></div>
          <div><Text size="xs" c="dimmed">{t("provisioning.play")}</Text><Text size="sm" ff="monospace">{j.provisioning_play}</Text></div>
          <div><Text size="xs" c="dimmed">{t("provisioning.customer")}</Text>{j.customer_id ? <Anchor component={Link} to={`/customers/${j.customer_id}`} size="sm">{j.customer_name ?? j.customer_id}</Anchor> : "—"}</div>
          <div><Text size="xs" c="dimmed">{t("provisioning.product")}</Text><Text size="sm">{j.product_name ?? "—"}</Text></div>
          <div><Text size="xs" c="dimmed">{t("common.created")}</Text><Text size="sm">{formatDateTime(j.created)}</Text></div>
          <div><Text size="xs" c="dimmed">{t("provisioning.finished")}</Text><Text size="sm">{formatDateTime(j.finished) || "—"}</Text></div>
          <div><Text size="xs" c="dimmed">{t("provisioning.service")}</Text>{j.service_id ? <Anchor component={Link} to={`/services/${j.service_id}`} size="sm">{j.service_id}</Anchor> : "—"}</div>
          {j.retry_of && <div><Text size="xs" c="dimmed">{t("provisioning.retryOf")}</Text><Anchor component={Link} to={`/provisioning/${j.retry_of}`} size="sm">{j.retry_of}</Anchor></div>}
        </SimpleGrid>
      </Card>
      {progress.status === "failed" && <FailureDetails job={j} />}
      <Card withBorder>
        <Text size="sm" mb={4}>{t("provisioning.progress", { done: progress.completed, total: progress.total })}</Text>
        <Progress value={progress.total ? (100 * progress.completed) / progress.total : 0} color={STATUS_COLOR[progress.status]} animated={progress.status === "running"} mb="md" />
        {progress.status === "running" ? <TaskList tasks={progress.tasks} /> : (
          <Accordion variant="separated" data-testid="job-tasks">
            {progress.tasks.map((task) => (
              <Accordion.Item key={task.number} value={String(task.number)}>
                <Accordion.Control><TaskList tasks={[task]} /></Accordion.Control>
                <Accordion.Panel>
                  <Table withRowBorders={false}>
                    <Table.Tbody>
                      {resultFields(task.event?.provisioning_result_json).map((f) => (
                        <Table.Tr key={f.key}><Table.Td w={160} fw={700} valign="top">{f.key}</Table.Td><Table.Td style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{f.value}</Table.Td></Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                  {task.event?.timestamp && <Text size="xs" c="dimmed">{formatDateTime(task.event.timestamp)}</Text>}
                </Accordion.Panel>
              </Accordion.Item>
            ))}
          </Accordion>
        )}
      </Card>
      <Card withBorder>
        <Title order={5} mb="xs">{t("provisioning.variables")}</Title>
        <Table.ScrollContainer minWidth={400}>
          <Table withRowBorders={false}>
            <Table.Tbody>
              {variablesOf(j).map(([k, v]) => <Table.Tr key={k}><Table.Td w={200} fw={700}>{k}</Table.Td><Table.Td style={{ wordBreak: "break-word" }}>{v}</Table.Td></Table.Tr>)}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
    </Stack>
  );
}
