import {
  Alert, Badge, Button, Card, Group, List, Loader, Modal, Progress as ProgressBar, ScrollArea, SegmentedControl, Select,
  SimpleGrid, Stack, Stepper, Text, ThemeIcon, Title,
} from "@mantine/core";
import { useMediaQuery } from "@mantine/hooks";
import { IconAlertTriangle, IconBolt, IconCheck, IconCircleDashed, IconX } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { errorMessage } from "../api";
import {
  inventoryApi, productsApi, provisioningApi, servicesApi, type Product, type ProvisionJob,
} from "../api/domain";
import {
  buildOrder, chooseProduct, createdServiceId, inCatalogue, initialWizard, isAddon, jobProgress, missing, nameList, nextStep,
  previousStep, resultFields, wizardSteps, type Catalogue, type TaskLine, type WizardState,
} from "../lib/assignPlan";
import { formatMoney } from "../config";
import { notifyError, notifySuccess } from "../lib/feedback";
import { ErrorState, LoadingState } from "./States";

/** Poll interval of the progress step: the spec's 0.2 s is a typo for the 2-5 s best practice (decision). */
export const PROGRESS_POLL_MS = 1000;

interface Props {
  customerId: number;
  customerName?: string;
  /** Add-ons for this service (opened from the service page). */
  serviceId?: number | null;
  opened: boolean;
  onClose: () => void;
}

/** Assign Plan (spec 04 §19): catalogue → (service) → inventory → auto-renew → review → live provisioning. */
export function AssignPlanModal({ customerId, customerName, serviceId = null, opened, onClose }: Props) {
  const { t } = useTranslation();
  const mobile = useMediaQuery("(max-width: 48em)");
  return (
    <Modal opened={opened} onClose={onClose} size="xl" fullScreen={mobile} title={<Title order={3}>{t("assign.title")}</Title>}
      closeOnClickOutside={false} data-testid="assign-plan">
      {opened && <Wizard customerId={customerId} customerName={customerName} serviceId={serviceId} onClose={onClose} />}
    </Modal>
  );
}

function Wizard({ customerId, customerName, serviceId, onClose }: Omit<Props, "opened" | "onClose"> & { onClose: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const fixedService = serviceId !== null && serviceId !== undefined;
  const [state, setState] = useState<WizardState>(() => initialWizard(customerId, { serviceId }));
  const [provisionId, setProvisionId] = useState<number | null>(null);
  const [tried, setTried] = useState(false);
  const steps = wizardSteps(state, fixedService);
  const active = steps.indexOf(state.step);
  const blockers = missing(state);

  const order = useMutation({
    mutationFn: () => provisioningApi.order(buildOrder(state)),
    onSuccess: (created) => {
      setProvisionId(created.provision_id);
      setState((s) => ({ ...s, step: "progress" }));
      void queryClient.invalidateQueries({ queryKey: ["provisioning"] });
    },
    onError: notifyError,
  });

  const go = (direction: 1 | -1) => {
    if (direction === 1 && blockers.length) {
      setTried(true);
      return;
    }
    setTried(false);
    setState((s) => ({ ...s, step: direction === 1 ? nextStep(s, fixedService) : previousStep(s, fixedService) }));
  };

  return (
    <Stack>
      <Stepper active={active} size="xs" allowNextStepsSelect={false}>
        {steps.map((step) => <Stepper.Step key={step} label={t(`assign.steps.${step}`)} />)}
      </Stepper>
      {customerName && <Text size="sm" c="dimmed">{t("assign.forCustomer", { name: customerName, id: customerId })}</Text>}

      {state.step === "product" && (
        <ProductStep state={state} fixedService={fixedService} onChange={setState} />
      )}
      {state.step === "service" && <ServiceStep state={state} onChange={setState} />}
      {state.step === "inventory" && <InventoryStep state={state} onChange={setState} showErrors={tried} />}
      {state.step === "autoRenew" && (
        <Stack>
          <Text>{t("assign.autoRenewQuestion")}</Text>
          <Group>
            <Button variant={state.autoRenew === false ? "filled" : "default"} onClick={() => setState((s) => ({ ...s, autoRenew: false }))} data-testid="auto-renew-no">{t("common.no")}</Button>
            <Button variant={state.autoRenew === true ? "filled" : "default"} onClick={() => setState((s) => ({ ...s, autoRenew: true }))} data-testid="auto-renew-yes">{t("common.yes")}</Button>
          </Group>
        </Stack>
      )}
      {state.step === "review" && <Review state={state} customerName={customerName} />}
      {state.step === "progress" && provisionId !== null && (
        <ProgressStep provisionId={provisionId} onRetried={setProvisionId} onClose={onClose} />
      )}

      {tried && blockers.length > 0 && (
        <Alert color="red" role="alert">{t("assign.missing", { what: blockers.map((b) => (b === "product" ? t("assign.steps.product") : b === "service_id" ? t("assign.steps.service") : b === "auto_renew" ? t("assign.steps.autoRenew") : b)).join(", ") })}</Alert>
      )}
      {state.step !== "progress" && (
        <Group justify="space-between">
          <Button variant="default" onClick={active === 0 ? onClose : () => go(-1)}>{active === 0 ? t("common.cancel") : t("common.back")}</Button>
          {state.step === "review" ? (
            <Button onClick={() => order.mutate()} loading={order.isPending} data-testid="confirm-provision">{t("assign.confirm")}</Button>
          ) : (
            <Button onClick={() => go(1)} data-testid="wizard-next">{t("assign.next")}</Button>
          )}
        </Group>
      )}
    </Stack>
  );
}

function featureList(product: Product): string[] {
  const raw = product.features_list;
  if (Array.isArray(raw)) return raw;
  return typeof raw === "string" && raw.trim() ? raw.split(/\.\s+/).map((s) => s.replace(/\.$/, "")).filter(Boolean) : [];
}

function ProductStep({ state, fixedService, onChange }: { state: WizardState; fixedService: boolean; onChange: (s: WizardState) => void }) {
  const { t } = useTranslation();
  const offer = useQuery({
    queryKey: ["offer", state.customerId, fixedService ? state.serviceId : null],
    queryFn: () => productsApi.offer(fixedService ? { service_id: state.serviceId as number } : { customer_id: state.customerId }),
  });
  if (offer.isError) return <ErrorState error={offer.error} onRetry={() => offer.refetch()} />;
  if (offer.isPending) return <LoadingState />;
  const products = offer.data.data.filter((p) => inCatalogue(p, state.catalogue));
  return (
    <Stack>
      {!fixedService && (
        <SegmentedControl value={state.catalogue} onChange={(v) => onChange({ ...state, catalogue: v as Catalogue })}
          data={[{ value: "plans", label: t("assign.plans") }, { value: "addons", label: t("assign.addons") }]} />
      )}
      {products.length === 0 ? <Alert color="gray">{t("assign.noProducts")}</Alert> : (
        <ScrollArea type="auto" offsetScrollbars data-testid="product-carousel">
          <Group wrap="nowrap" align="stretch" gap="sm" pb="xs">
            {products.map((p) => {
              const chosen = state.product?.product_id === p.product_id;
              return (
                <Card key={p.product_id} withBorder w={240} miw={240} padding="sm"
                  style={{ borderColor: chosen ? "var(--mantine-primary-color-filled)" : undefined, borderWidth: chosen ? 2 : 1 }}
                  data-testid={`product-card-${p.product_slug}`}>
                  <Stack gap={6} h="100%">
                    <Group justify="space-between" gap={4} wrap="nowrap">
                      <Text fw={700} lineClamp={2}>{p.product_name}</Text>
                      <Badge size="xs" variant="light">{t(`products.categories.${p.category}`, { defaultValue: p.category })}</Badge>
                    </Group>
                    <Text size="lg" fw={700}>{formatMoney(p.retail_cost)}</Text>
                    {Number(p.retail_setup_cost) > 0 && <Text size="xs" c="dimmed">{t("assign.setup", { amount: formatMoney(p.retail_setup_cost) })}</Text>}
                    <List size="xs" spacing={2} style={{ flex: 1 }}>
                      {featureList(p).slice(0, 4).map((f) => <List.Item key={f}>{f}</List.Item>)}
                    </List>
                    <Button size="xs" variant={chosen ? "filled" : "light"} onClick={() => onChange(chooseProduct(state, p))}>
                      {chosen ? t("assign.selected") : t("assign.choose")}
                    </Button>
                  </Stack>
                </Card>
              );
            })}
          </Group>
        </ScrollArea>
      )}
    </Stack>
  );
}

function ServiceStep({ state, onChange }: { state: WizardState; onChange: (s: WizardState) => void }) {
  const { t } = useTranslation();
  const services = useQuery({ queryKey: ["services", "customer", state.customerId], queryFn: () => servicesApi.ofCustomer(state.customerId) });
  if (services.isError) return <ErrorState error={services.error} onRetry={() => services.refetch()} />;
  if (services.isPending) return <LoadingState />;
  const matching = services.data.data.filter((s) => !state.product?.service_type || s.service_type === state.product.service_type);
  if (!matching.length) return <Alert color="yellow">{t("assign.noService", { type: state.product?.service_type ?? "" })}</Alert>;
  return (
    <Select label={t("assign.whichService")} required data={matching.map((s) => ({ value: String(s.service_id), label: `${s.service_name} (ID: ${s.service_id})` }))}
      value={state.serviceId ? String(state.serviceId) : null} onChange={(v) => onChange({ ...state, serviceId: v ? Number(v) : null })} />
  );
}

function InventoryStep({ state, onChange, showErrors }: { state: WizardState; onChange: (s: WizardState) => void; showErrors: boolean }) {
  const types = nameList(state.product?.inventory_items_list);
  return (
    <Stack>
      {types.map((type) => (
        <InventorySelect key={type} type={type} value={state.inventory[type] ?? null} showError={showErrors}
          taken={Object.entries(state.inventory).filter(([k]) => k !== type).map(([, v]) => v)}
          onChange={(id) => onChange({ ...state, inventory: { ...state.inventory, [type]: id } })} />
      ))}
    </Stack>
  );
}

/** One required inventory type (spec 06 §4): free items only, searchable, "No inventory available" when empty. */
function InventorySelect({ type, value, taken, showError, onChange }: {
  type: string; value: number | null; taken: (number | null)[]; showError: boolean; onChange: (id: number | null) => void;
}) {
  const { t } = useTranslation();
  const available = useQuery({ queryKey: ["inventory-available", type], queryFn: () => inventoryApi.available(type) });
  const options = (available.data?.data ?? []).filter((i) => !taken.includes(i.inventory_id))
    .map((i) => ({ value: String(i.inventory_id), label: i.label ?? `#${i.inventory_id} ${i.itemtext1 ?? ""}` }));
  const empty = available.isSuccess && options.length === 0;
  return (
    <Select label={type} required searchable data={options} value={value ? String(value) : null}
      onChange={(v) => onChange(v ? Number(v) : null)} data-testid={`inventory-${type}`}
      placeholder={available.isPending ? t("common.loading") : t("assign.pickItem")}
      rightSection={available.isPending ? <Loader size="xs" /> : undefined}
      error={available.isError ? errorMessage(available.error) : empty ? (available.data?.message ?? t("assign.noInventory"))
        : showError && !value ? t("common.required") : undefined} />
  );
}

function Review({ state, customerName }: { state: WizardState; customerName?: string }) {
  const { t } = useTranslation();
  const p = state.product as Product;
  const types = nameList(p.inventory_items_list);
  const labels = useQuery({
    queryKey: ["inventory-review", state.inventory],
    queryFn: async () => Object.fromEntries(await Promise.all(types.map(async (type) => {
      const list = await inventoryApi.available(type);
      const item = list.data.find((i) => i.inventory_id === state.inventory[type]);
      return [type, item?.label ?? `#${state.inventory[type]}`] as const;
    }))),
    enabled: types.length > 0,
  });
  const rows: [string, string][] = [
    [t("assign.customer"), `${customerName ?? ""} (ID: ${state.customerId})`],
    [t("assign.product"), p.product_name],
    ...(isAddon(p) && state.serviceId ? [[t("assign.service"), `ID: ${state.serviceId}`] as [string, string]] : []),
    ...types.map((type) => [type, labels.data?.[type] ?? `#${state.inventory[type]}`] as [string, string]),
    [t("assign.setupFee"), formatMoney(p.retail_setup_cost ?? "0")],
    [t("assign.monthly"), formatMoney(p.retail_cost ?? "0")],
    [t("assign.autoRenew"), buildOrder(state).auto_renew ? t("common.yes") : t("common.no")],
  ];
  return (
    <Card withBorder data-testid="assign-review">
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
        {rows.map(([label, value]) => (
          <div key={label}><Text size="xs" c="dimmed">{label}</Text><Text size="sm">{value}</Text></div>
        ))}
      </SimpleGrid>
    </Card>
  );
}

const TASK_ICON = {
  done: { color: "green", Icon: IconCheck }, ignored: { color: "yellow", Icon: IconAlertTriangle },
  running: { color: "blue", Icon: IconBolt }, failed: { color: "red", Icon: IconX }, pending: { color: "gray", Icon: IconCircleDashed },
} as const;

export function TaskList({ tasks, onOpen }: { tasks: TaskLine[]; onOpen?: (task: TaskLine) => void }) {
  const { t } = useTranslation();
  return (
    <Stack gap={4} data-testid="task-list">
      {tasks.map((task) => {
        const { color, Icon } = TASK_ICON[task.state];
        return (
          <Group key={task.number} gap="xs" wrap="nowrap" data-state={task.state}>
            <ThemeIcon size="sm" radius="xl" color={color} variant={task.state === "pending" ? "light" : "filled"}><Icon size={12} /></ThemeIcon>
            <Text size="sm" c={task.state === "pending" ? "dimmed" : undefined} style={{ flex: 1 }}
              onClick={onOpen && task.event ? () => onOpen(task) : undefined}>
              {task.name || t("provisioning.pendingTask", { n: task.number })}
            </Text>
            <Text size="xs" c={color}>{t(`provisioning.taskStates.${task.state}`)}</Text>
          </Group>
        );
      })}
    </Stack>
  );
}

export function FailureDetails({ job }: { job: ProvisionJob }) {
  const { t } = useTranslation();
  const failed = jobProgress(job).failed;
  const fields = resultFields(failed?.event?.provisioning_result_json).slice(0, 4);
  return (
    <Alert color="red" icon={<IconAlertTriangle />} title={t("provisioning.failedTitle")} role="alert" data-testid="provision-failed">
      <Stack gap={4}>
        {failed && <Text size="sm" fw={700}>{failed.name}</Text>}
        {fields.map((f) => <Text key={f.key} size="sm" style={{ whiteSpace: "pre-wrap" }}><b>{f.key}:</b> {f.value.slice(0, 600)}</Text>)}
        <Text size="sm">{t("provisioning.failedHelp")}</Text>
      </Stack>
    </Alert>
  );
}

/** The live progress of one job (also used by add-on top-ups): polls, Retry on failure, link to the service. */
export function ProgressStep({ provisionId, onRetried, onClose }: { provisionId: number; onRetried: (id: number) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const job = useQuery({
    queryKey: ["provision", provisionId],
    queryFn: () => provisioningApi.get(provisionId),
    refetchInterval: (q) => (q.state.data && q.state.data.provisioning_status !== 1 ? false : PROGRESS_POLL_MS),
  });
  const retry = useMutation({
    mutationFn: () => provisioningApi.retry(provisionId),
    onSuccess: (created) => { notifySuccess(t("provisioning.retried", { id: created.provision_id })); onRetried(created.provision_id); },
    onError: notifyError,
  });
  const finished = job.data !== undefined && job.data.provisioning_status !== 1;
  useEffect(() => {
    if (!finished) return;
    // What a finished job may have changed: service lists, the service page (balances, auto-renewals, items).
    for (const key of ["services", "service", "usage", "action-plans", "inventory"]) void queryClient.invalidateQueries({ queryKey: [key] });
  }, [finished, queryClient]);
  const needsLookup = finished && job.data?.provisioning_status === 0 && !job.data.service_id && Boolean(job.data.customer_id);
  const customerServices = useQuery({
    queryKey: ["services", "customer", job.data?.customer_id],
    queryFn: () => servicesApi.ofCustomer(job.data?.customer_id as number),
    enabled: needsLookup,
  });
  if (job.isError) return <ErrorState error={job.error} onRetry={() => job.refetch()} />;
  if (job.isPending) return <LoadingState />;
  const progress = jobProgress(job.data);
  const serviceId = createdServiceId(job.data, customerServices.data?.data ?? []);
  return (
    <Stack data-testid="provision-progress" data-status={progress.status}>
      <Group justify="space-between">
        <Text fw={700}>{job.data.playbook_description || job.data.provisioning_play}</Text>
        <Badge color={progress.status === "success" ? "green" : progress.status === "failed" ? "red" : "blue"}>
          {t(`provisioning.statuses.${progress.status}`)}
        </Badge>
      </Group>
      <ProgressBar value={progress.total ? (100 * progress.completed) / progress.total : progress.status === "success" ? 100 : 5}
        color={progress.status === "failed" ? "red" : progress.status === "success" ? "green" : "blue"} animated={progress.status === "running"} />
      <Text size="sm">{t("provisioning.progress", { done: progress.completed, total: progress.total })}</Text>
      <ScrollArea.Autosize mah={260}><TaskList tasks={progress.tasks} /></ScrollArea.Autosize>
      {progress.status === "success" && (
        <Alert color="green" icon={<IconCheck />} data-testid="provision-success">{t("assign.success", { name: job.data.customer_name ?? "" })}</Alert>
      )}
      {progress.status === "failed" && <FailureDetails job={job.data} />}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>{t("common.close")}</Button>
        {progress.status === "failed" && (
          <>
            <Button variant="light" component={Link} to={`/provisioning/${provisionId}`}>{t("provisioning.viewLogs")}</Button>
            <Button color="red" onClick={() => retry.mutate()} loading={retry.isPending} data-testid="provision-retry">{t("provisioning.retry")}</Button>
          </>
        )}
        {progress.status === "success" && (
          <Button component={Link} to={serviceId ? `/services/${serviceId}` : `/customers/${job.data.customer_id}#3`} onClick={onClose}
            loading={needsLookup && customerServices.isPending} data-testid="view-service">
            {t("assign.viewService")}
          </Button>
        )}
      </Group>
    </Stack>
  );
}
