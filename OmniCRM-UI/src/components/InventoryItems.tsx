import { Anchor, Badge, Group, Modal, SimpleGrid, Stack, Table, Text, UnstyledButton } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { useState } from "react";
import { Link } from "react-router";
import { inventoryApi, type InventoryItem } from "../api/domain";
import { formatDateTime, formatMoney } from "../config";
import { isWebUrl, qrModules, qrPath } from "../lib/qr";
import { ErrorState, LoadingState } from "./States";

/** QR sizes of spec 02 §4.6: 128 px in an item's detail view, 64 px in a service's inventory table. */
export const QR_DETAIL_PX = 128;
export const QR_TABLE_PX = 64;

/** A scannable QR code of `value`, drawn as SVG (crisp at any zoom, prints well), with a 2-module quiet zone. */
export function QrCode({ value, size }: { value: string; size: number }) {
  const modules = qrModules(value);
  const span = modules.length + 4;
  return (
    <svg role="img" aria-label={`QR ${value}`} width={size} height={size} viewBox={`-2 -2 ${span} ${span}`}
      shapeRendering="crispEdges" data-testid="qr-code" data-value={value} data-size={size} style={{ flex: "none" }}>
      <rect x={-2} y={-2} width={span} height={span} fill="#fff" />
      <path d={qrPath(modules)} fill="#000" />
    </svg>
  );
}

/** The QR code together with the URL: a link for web URLs, plain (copyable) text for LPA strings and the like. */
export function ManagementUrl({ url, size }: { url: string; size: number }) {
  return (
    <Group gap="xs" wrap="nowrap" align="center">
      <QrCode value={url} size={size} />
      {isWebUrl(url)
        ? <Anchor href={url} target="_blank" rel="noreferrer" size="sm" style={{ wordBreak: "break-all" }}>{url}</Anchor>
        : <Text size="sm" ff="monospace" style={{ wordBreak: "break-all" }}>{url}</Text>}
    </Group>
  );
}

const STATE_COLOURS: Record<string, string> = { New: "green", "In Stock": "green", Assigned: "blue", "In Use": "blue" };

export function ItemState({ state }: { state: string }) {
  const { t } = useTranslation();
  return <Badge variant="light" color={STATE_COLOURS[state] ?? "gray"}>{t(`inventory.states.${state}`, { defaultValue: state })}</Badge>;
}

const TEXT_FIELDS = Array.from({ length: 20 }, (_, i) => `itemtext${i + 1}`);

/** The item's filled fields, each under its template label (ICCID, IMSI, …); secrets arrive masked from the API. */
function itemFields(item: InventoryItem, t: (key: string) => string): [string, string][] {
  const labels = (item.labels ?? {}) as Record<string, string>;
  const value = (v: unknown) => (v === null || v === undefined || v === "" ? null : String(v));
  const rows: [string, string | null][] = [
    ...TEXT_FIELDS.map((f) => [labels[f] || f, value(item[f])] as [string, string | null]),
    [t("inventory.location"), value(item.item_location)],
    [t("inventory.managementUsername"), value(item.management_username)],
    [t("inventory.managementPassword"), value(item.management_password)],
    [t("inventory.retail"), item.retail_cost ? formatMoney(item.retail_cost) : null],
    [t("common.created"), item.created ? formatDateTime(item.created) : null],
    [t("inventory.notes"), value(item.inventory_notes)],
  ];
  return rows.filter((row): row is [string, string] => row[1] !== null);
}

/** Item detail view (spec 02 §4.6): every filled field and, when it has one, the management URL's 128 px QR code. */
export function ItemDetailModal({ item, onClose }: { item: InventoryItem | null; onClose: () => void }) {
  const { t } = useTranslation();
  const url = typeof item?.management_url === "string" && item.management_url ? item.management_url : null;
  return (
    <Modal opened={item !== null} onClose={onClose} size="lg"
      title={item ? `${item.item} ${item.label ?? item.itemtext1 ?? ""}` : ""} data-testid="item-detail">
      {item && (
        <Stack>
          <Group gap="xs"><ItemState state={item.item_state} />
            {item.service_id && <Anchor component={Link} to={`/services/${item.service_id}`} size="sm" onClick={onClose}>{t("inventory.onService", { id: item.service_id })}</Anchor>}
          </Group>
          {url && (
            <div data-testid="item-management-url">
              <Text size="xs" c="dimmed" mb={4}>{t("inventory.managementUrl")}</Text>
              <ManagementUrl url={url} size={QR_DETAIL_PX} />
            </div>
          )}
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
            {itemFields(item, t).map(([label, value]) => (
              <div key={label}><Text size="xs" c="dimmed">{label}</Text><Text size="sm" style={{ wordBreak: "break-all" }}>{value}</Text></div>
            ))}
          </SimpleGrid>
        </Stack>
      )}
    </Modal>
  );
}

/** A customer's or a service's items; a row opens the detail view. `qrSize` adds the management URL column. */
function ItemsTable({ items, qrSize, testId }: { items: InventoryItem[]; qrSize?: number; testId: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<InventoryItem | null>(null);
  return (
    <>
      <Table.ScrollContainer minWidth={qrSize ? 640 : 560}>
        <Table striped highlightOnHover data-testid={testId}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("common.id")}</Table.Th><Table.Th>{t("inventory.type")}</Table.Th>
              <Table.Th>{t("inventory.identifier")}</Table.Th><Table.Th>{t("inventory.state")}</Table.Th>
              {qrSize ? <Table.Th>{t("inventory.managementUrl")}</Table.Th> : <Table.Th>{t("inventory.service")}</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((item) => (
              <Table.Tr key={item.inventory_id} data-testid={`item-row-${item.inventory_id}`}>
                <Table.Td>{item.inventory_id}</Table.Td>
                <Table.Td>
                  <UnstyledButton onClick={() => setOpen(item)} aria-label={t("inventory.openItem", { name: `${item.item} ${item.itemtext1 ?? ""}` })}>
                    <Text size="sm" c="blue" td="underline">{item.item}</Text>
                  </UnstyledButton>
                </Table.Td>
                <Table.Td ff="monospace">{item.label ?? item.itemtext1}</Table.Td>
                <Table.Td><ItemState state={item.item_state} /></Table.Td>
                {qrSize ? (
                  <Table.Td>{typeof item.management_url === "string" && item.management_url ? <ManagementUrl url={item.management_url} size={qrSize} /> : "—"}</Table.Td>
                ) : (
                  <Table.Td>{item.service_id ? <Anchor component={Link} to={`/services/${item.service_id}`} size="sm">{item.service_id}</Anchor> : "—"}</Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ItemDetailModal item={open} onClose={() => setOpen(null)} />
    </>
  );
}

/** The customer page's Inventory tab (#8): GET /crm/inventory/customer_id/{id}. */
export function CustomerInventoryTab({ customerId }: { customerId: number }) {
  const { t } = useTranslation();
  const items = useQuery({ queryKey: ["inventory", "customer", customerId], queryFn: () => inventoryApi.ofCustomer(customerId) });
  if (items.isError) return <ErrorState error={items.error} onRetry={() => items.refetch()} />;
  if (items.isPending) return <LoadingState />;
  if (!items.data.data.length) return <Text c="dimmed" data-testid="customer-inventory-empty">{t("inventory.customerEmpty")}</Text>;
  return <ItemsTable items={items.data.data} testId="customer-inventory" />;
}

/** The service page's inventory table, with the management URLs' 64 px QR codes. */
export function ServiceInventory({ serviceId }: { serviceId: number }) {
  const { t } = useTranslation();
  const items = useQuery({ queryKey: ["inventory", "service", serviceId], queryFn: () => inventoryApi.ofService(serviceId) });
  if (items.isError) return <ErrorState error={items.error} onRetry={() => items.refetch()} />;
  if (items.isPending) return <LoadingState />;
  if (!items.data.data.length) return <Text c="dimmed" size="sm">{t("inventory.serviceEmpty")}</Text>;
  return <ItemsTable items={items.data.data} qrSize={QR_TABLE_PX} testId="service-inventory" />;
}
