import { Alert, Button, Group, Loader, Modal, SegmentedControl, Select, Stack, Text, TextInput } from "@mantine/core";
import { useMediaQuery } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, errorMessage } from "../api";
import { ocsApi, productsApi, type Service, type Usage } from "../api/domain";
import { formatMoney } from "../config";
import { isAddon, nameList } from "../lib/assignPlan";
import { notifyError, notifySuccess } from "../lib/feedback";
import { TOPUP_MAX, TOPUP_MIN, topupAmount, topupProblem } from "../lib/topup";
import { ProgressStep } from "./AssignPlan";
import { ErrorState } from "./States";

type Kind = "credit" | "addon";

/**
 * Top-up of a service (spec 07 §6.7) through POST /crm/oam/topup/service_id/{id}: prepaid credit (charged to the
 * account, the new balance shown at once) or an add-on, which runs as a provisioning job followed live here.
 */
export function TopUpModal({ service, opened, onClose }: { service: Service; opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const mobile = useMediaQuery("(max-width: 48em)");
  const [kind, setKind] = useState<Kind>("credit");
  const [jobId, setJobId] = useState<number | null>(null);
  const [reason, setReason] = useState("");
  const close = () => { setJobId(null); setKind("credit"); setReason(""); onClose(); };
  return (
    <Modal opened={opened} onClose={close} title={t("topup.title", { name: service.service_name })} fullScreen={mobile} size="lg"
      closeOnClickOutside={false} data-testid="topup-modal">
      {jobId !== null ? <ProgressStep provisionId={jobId} onRetried={setJobId} onClose={close} /> : (
        <Stack>
          <SegmentedControl value={kind} onChange={(v) => setKind(v as Kind)}
            data={[{ value: "credit", label: t("topup.credit") }, { value: "addon", label: t("topup.addon") }]} />
          <TextInput label={t("topup.reason")} required value={reason} onChange={(e) => setReason(e.currentTarget.value)}
            description={t("topup.reasonHelp")} data-testid="topup-reason" />
          {kind === "credit" ? <CreditForm service={service} reason={reason} onDone={close} />
            : <AddonForm service={service} reason={reason} onStarted={setJobId} />}
        </Stack>
      )}
    </Modal>
  );
}

/** Staff say why they credit a service; the API keeps it with who did it (at least 3 characters). */
const reasonGiven = (reason: string) => reason.trim().length >= 3;

function CreditForm({ service, reason, onDone }: { service: Service; reason: string; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const topup = useMutation({
    mutationFn: (amount: string) => ocsApi.topup(service.service_id, { amount, reason: reason.trim() }),
    onSuccess: (body, amount) => {
      // Show the new balance now (the answer carries it), then re-read everything that depends on it.
      if (body.balances?.totals) {
        queryClient.setQueryData<Usage>(["usage", service.service_id], (old) => (old ? { ...old, totals: body.balances!.totals, fetched_at: new Date().toISOString() } : old));
      }
      void queryClient.invalidateQueries({ queryKey: ["usage", service.service_id] });
      void queryClient.invalidateQueries({ queryKey: ["service", service.service_id] });
      const remaining = body.MONETARY?.remaining;
      const credit = remaining !== null && remaining !== undefined ? formatMoney(remaining) : (body.MONETARY?.remaining_hr ?? "");
      notifySuccess(credit ? t("topup.doneWithBalance", { amount: formatMoney(amount), balance: credit }) : t("topup.done", { amount: formatMoney(amount) }));
      onDone();
    },
    onError: (error) => {
      if (error instanceof ApiError && error.errors.amount) setFieldError(error.errors.amount);
      else setFailure(errorMessage(error));
      notifyError(error);
    },
  });
  const submit = () => {
    setFailure(null);
    const problem = topupProblem(text);
    if (!reasonGiven(reason)) {
      setFailure(t("topup.reasonRequired"));
      return;
    }
    if (problem) {
      setFieldError(problem === "required" ? t("common.required") : problem === "format" ? t("topup.badAmount")
        : t("topup.outOfRange", { min: formatMoney(TOPUP_MIN), max: formatMoney(TOPUP_MAX) }));
      return;
    }
    setFieldError(null);
    topup.mutate(topupAmount(text));
  };
  return (
    <form onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <Stack>
        <TextInput label={t("topup.amount")} required inputMode="decimal" value={text} autoFocus
          description={t("topup.limits", { min: formatMoney(TOPUP_MIN), max: formatMoney(TOPUP_MAX) })}
          onChange={(e) => { setText(e.currentTarget.value); setFieldError(null); }} error={fieldError} data-testid="topup-amount" />
        <Text size="sm" c="dimmed">{t("topup.creditHelp")}</Text>
        {failure && <Alert color="red" role="alert">{failure}</Alert>}
        <Group justify="flex-end">
          <Button type="submit" loading={topup.isPending} data-testid="topup-submit">{t("topup.submit")}</Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Add-ons of this service that need nothing more than the service (no inventory): the others go through Add-ons. */
function AddonForm({ service, reason, onStarted }: { service: Service; reason: string; onStarted: (provisionId: number) => void }) {
  const { t } = useTranslation();
  const [productId, setProductId] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const offer = useQuery({ queryKey: ["offer", "topup", service.service_id], queryFn: () => productsApi.offer({ service_id: service.service_id }) });
  const start = useMutation({
    mutationFn: (id: number) => ocsApi.topup(service.service_id, { product_id: id, reason: reason.trim() }),
    onSuccess: (body) => {
      if (body.provision_id === undefined) return;
      notifySuccess(t("topup.addonStarted", { id: body.provision_id }));
      onStarted(body.provision_id);
    },
    onError: (error) => { setFailure(errorMessage(error)); notifyError(error); },
  });
  if (offer.isError) return <ErrorState error={offer.error} onRetry={() => offer.refetch()} />;
  const addons = (offer.data?.data ?? []).filter((p) => isAddon(p) && nameList(p.inventory_items_list).length === 0);
  return (
    <Stack>
      <Select label={t("topup.addonLabel")} required searchable value={productId} onChange={setProductId} data-testid="topup-addon"
        placeholder={offer.isPending ? t("common.loading") : undefined} rightSection={offer.isPending ? <Loader size="xs" /> : undefined}
        data={addons.map((p) => ({ value: String(p.product_id), label: `${p.product_name} · ${formatMoney(p.retail_cost)}` }))}
        error={offer.isSuccess && !addons.length ? t("topup.noAddons") : undefined} />
      <Text size="sm" c="dimmed">{t("topup.addonHelp")}</Text>
      {failure && <Alert color="red" role="alert">{failure}</Alert>}
      <Group justify="flex-end">
        <Button disabled={!productId || !reasonGiven(reason)} loading={start.isPending} onClick={() => { setFailure(null); start.mutate(Number(productId)); }}
          data-testid="topup-addon-submit">{t("topup.submit")}</Button>
      </Group>
    </Stack>
  );
}
