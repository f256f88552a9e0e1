import { Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Tabs, Text, Title } from "@mantine/core";
import { IconEdit } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { customersApi, type Customer, type Site } from "../api/customers";
import { useAuth } from "../auth/AuthContext";
import { CustomerInventoryTab } from "../components/InventoryItems";
import { CustomerBillingTab, OwedBadges } from "../components/billing/CustomerBilling";
import { ErrorState, LoadingState } from "../components/States";
import { config, formatDateTime } from "../config";
import { ActivityTab, AttributesTab, ServicesTab, TagPill, TagsTab } from "./CustomerTabs";
import { CUSTOMER_TAB_HASH, tabFromHash, type CustomerTab } from "../lib/search";
import { STATUS_COLORS } from "./CustomersPage";
import { PortalLogins } from "../portal/PortalLogins";

const TABS: { key: CustomerTab; requires?: string | string[] }[] = [
  { key: "overview" },
  { key: "contacts", requires: "view_customer_contact" },
  { key: "sites", requires: "view_customer_site" },
  { key: "services", requires: "view_customer_service" },
  { key: "attributes", requires: "view_customer_attribute" },
  { key: "tags", requires: "view_customer_tag" },
  { key: "activity", requires: "view_customer_activity" },
  { key: "inventory", requires: "view_inventory" },
  { key: "billing", requires: ["view_customer_transaction", "view_customer_invoice"] },
];

/** Customer page: tabs addressed by the spec's hash numbers so global-search links open the right one. */
export function CustomerPage() {
  const { t } = useTranslation();
  const { customerId } = useParams();
  const id = Number(customerId);
  const location = useLocation();
  const navigate = useNavigate();
  const { allows } = useAuth();
  const customer = useQuery({ queryKey: ["customer", id], queryFn: () => customersApi.get(id), enabled: Number.isInteger(id) });
  const tab = tabFromHash(location.hash);

  if (customer.isError) return <ErrorState error={customer.error} onRetry={() => customer.refetch()} />;
  if (customer.isPending) return <LoadingState />;
  const c = customer.data;

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Group gap="sm">
          <Title order={2}>{c.customer_name}</Title>
          <Badge color={STATUS_COLORS[c.customer_status] ?? "gray"} variant="light">
            {t(`customers.statuses.${c.customer_status}`, { defaultValue: c.customer_status })}
          </Badge>
          <OwedBadges customer={c} />
          {(c.tags ?? []).filter((tag) => tag.tag_active !== false).map((tag) => <TagPill key={tag.tag_id} tag={tag} />)}
        </Group>
        {allows("update_customer") && (
          <Button component={Link} to={`/customers/${id}/edit`} variant="light" leftSection={<IconEdit size={16} />}>{t("common.edit")}</Button>
        )}
      </Group>
      <Tabs value={tab} onChange={(value) => navigate({ hash: CUSTOMER_TAB_HASH[(value ?? "overview") as CustomerTab] }, { replace: true })}>
        <Tabs.List style={{ flexWrap: "nowrap", overflowX: "auto" }}>
          {TABS.filter((entry) => !entry.requires || allows(entry.requires)).map((entry) => (
            <Tabs.Tab key={entry.key} value={entry.key}>{entry.key === "billing" ? t("customerBilling.tab") : t(`customers.tabs.${entry.key}`)}</Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md"><Overview customer={c} /></Tabs.Panel>
        <Tabs.Panel value="contacts" pt="md"><Contacts customer={c} /><PortalLogins customerId={id} /></Tabs.Panel>
        <Tabs.Panel value="sites" pt="md"><Sites customer={c} /></Tabs.Panel>
        <Tabs.Panel value="services" pt="md">{tab === "services" && <ServicesTab customer={c} />}</Tabs.Panel>
        <Tabs.Panel value="attributes" pt="md">{tab === "attributes" && <AttributesTab customerId={id} />}</Tabs.Panel>
        <Tabs.Panel value="tags" pt="md">{tab === "tags" && <TagsTab customerId={id} />}</Tabs.Panel>
        <Tabs.Panel value="activity" pt="md">{tab === "activity" && <ActivityTab customerId={id} />}</Tabs.Panel>
        <Tabs.Panel value="inventory" pt="md">{tab === "inventory" && <CustomerInventoryTab customerId={id} />}</Tabs.Panel>
        <Tabs.Panel value="billing" pt="md">{tab === "billing" && <CustomerBillingTab customer={c} />}</Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function Field({ label, value }: { label: string; value?: string | null }) {
  return (
    <div>
      <Text size="xs" c="dimmed">{label}</Text>
      <Text size="sm">{value || "—"}</Text>
    </div>
  );
}

function Overview({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  return (
    <Card withBorder>
      <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }}>
        <Field label={t("common.id")} value={String(customer.customer_id)} />
        <Field label={t("customers.accountType")} value={customer.customer_account_type && t(`customers.accountTypes.${customer.customer_account_type}`, { defaultValue: customer.customer_account_type })} />
        <Field label={t("customers.paymentType")} value={customer.customer_payment_type && t(`customers.paymentTypes.${customer.customer_payment_type}`, { defaultValue: customer.customer_payment_type })} />
        <Field label={t("customers.taxId")} value={customer.tax_identifier} />
        <Field label={t("customers.created")} value={formatDateTime(customer.created)} />
        <Field label={t("customers.notes")} value={customer.customer_notes} />
      </SimpleGrid>
    </Card>
  );
}

function Contacts({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const contacts = customer.contacts ?? [];
  if (!contacts.length) return <Text c="dimmed">{t("customers.contactsEmpty")}</Text>;
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table striped>
        <Table.Thead>
          <Table.Tr><Table.Th>{t("common.name")}</Table.Th><Table.Th>{t("common.email")}</Table.Th><Table.Th>{t("common.phone")}</Table.Th><Table.Th>{t("customers.contactTypes")}</Table.Th></Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {contacts.map((contact) => (
            <Table.Tr key={contact.contact_id} id={`contact-${contact.contact_id}`}>
              <Table.Td>{contact.contact_firstname} {contact.contact_lastname}</Table.Td>
              <Table.Td>{contact.contact_email && <Anchor href={`mailto:${contact.contact_email}`}>{contact.contact_email}</Anchor>}</Table.Td>
              <Table.Td>{contact.contact_phone}</Table.Td>
              <Table.Td>{contact.contact_types}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Where a site is: a Google map when a key is configured (spec 01 §6), otherwise its Plus Code. */
function SiteLocation({ site }: { site: Site }) {
  const { t } = useTranslation();
  const lat = site.latitude === null || site.latitude === undefined ? null : Number(site.latitude);
  const lng = site.longitude === null || site.longitude === undefined ? null : Number(site.longitude);
  if (config.googleApiKey && lat !== null && lng !== null) {
    const src = `https://www.google.com/maps/embed/v1/place?key=${encodeURIComponent(config.googleApiKey)}&q=${lat},${lng}`;
    return <iframe title={site.site_name} src={src} width="100%" height="200" style={{ border: 0, marginTop: 8 }} loading="lazy" referrerPolicy="no-referrer-when-downgrade" data-testid="site-map" />;
  }
  if (!site.plus_code) return null;
  return (
    <Text size="sm" mt="xs" data-testid="site-plus-code">
      {t("customers.plusCode")}:{" "}
      <Anchor href={`https://plus.codes/${encodeURIComponent(site.plus_code)}`} target="_blank" rel="noreferrer" ff="monospace">{site.plus_code}</Anchor>
    </Text>
  );
}

function Sites({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const sites: Site[] = customer.sites ?? [];
  if (!sites.length) return <Text c="dimmed">{t("customers.sitesEmpty")}</Text>;
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      {sites.map((site) => (
        <Card withBorder key={site.site_id}>
          <Text fw={700}>{site.site_name}</Text>
          <Text size="sm">{[site.address_line_1, site.address_line_2, site.city, site.state, site.zip_code, site.country].filter(Boolean).join(", ")}</Text>
          <SiteLocation site={site} />
          {site.address_notes && <Text size="sm" c="dimmed" mt="xs">{site.address_notes}</Text>}
        </Card>
      ))}
    </SimpleGrid>
  );
}
