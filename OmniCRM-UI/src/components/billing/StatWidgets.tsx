import { Card, Group, SimpleGrid, Text, Tooltip } from "@mantine/core";
import { IconArrowDownRight, IconArrowRight, IconArrowUpRight } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import type { Widget } from "../../api/billing";
import { config } from "../../config";
import { compactMoney, trendOf } from "../../lib/money";
import { ErrorState } from "../States";

export interface WidgetSpec {
  key: string;
  label: string;
  widget?: Widget;
  countLabel?: string;
  showTrend?: boolean;
}

/** The trend arrow of a month widget: green up, red down, grey right (spec 07 §2.7). */
export function TrendArrow({ percent }: { percent?: string | null }) {
  const { t } = useTranslation();
  const trend = trendOf(percent);
  const abs = trend.percent === null ? 0 : Math.abs(trend.percent);
  const [Icon, color, label] =
    trend.direction === "up" ? [IconArrowUpRight, "green", t("money.trendUp", { percent: abs })]
      : trend.direction === "down" ? [IconArrowDownRight, "red", t("money.trendDown", { percent: abs })]
        : trend.direction === "flat" ? [IconArrowRight, "gray", t("money.trendFlat")]
          : [IconArrowRight, "gray", t("money.trendNone")];
  return (
    <Tooltip label={label}>
      <Group gap={2} c={color} data-testid="trend" data-direction={trend.direction} aria-label={label}>
        <Icon size={16} />
        <Text size="xs" fw={600}>{trend.percent === null ? "—" : `${abs}%`}</Text>
      </Group>
    </Tooltip>
  );
}

export function StatWidgets({ items, error, testId }: { items: WidgetSpec[]; error?: unknown; testId: string }) {
  if (error) return <ErrorState error={error} />;
  return (
    <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} data-testid={testId}>
      {items.map((item) => (
        <Card withBorder key={item.key} data-testid={`widget-${item.key}`} padding="md">
          <Text size="xs" c="dimmed" tt="uppercase" fw={700}>{item.label}</Text>
          <Group justify="space-between" align="flex-end" mt={4} wrap="nowrap">
            <Text fz={24} fw={700} data-testid="widget-amount" title={item.widget?.amount}>
              {item.widget ? compactMoney(item.widget.amount, config.currencySymbol) : "…"}
            </Text>
            {item.showTrend && item.widget && <TrendArrow percent={item.widget.trend_percent} />}
          </Group>
          {item.countLabel && <Text size="sm" c="dimmed" data-testid="widget-count">{item.countLabel}</Text>}
        </Card>
      ))}
    </SimpleGrid>
  );
}
