import { Badge, Checkbox, Group, Loader, Paper, Popover, ScrollArea, Stack, Text, TextInput, UnstyledButton } from "@mantine/core";
import { useDebouncedValue, useDisclosure } from "@mantine/hooks";
import { IconSearch } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { api, errorMessage, type Page } from "../api";
import { groupResults, moveHighlight, searchTarget, type SearchItem } from "../lib/search";

const PER_PAGE = 20;

/** The search box of the top bar: results grouped by type, arrow keys to move, Enter to open. */
export function GlobalSearch() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [term, setTerm] = useState("");
  const [includeClosed, setIncludeClosed] = useState(false);
  const [debounced] = useDebouncedValue(term.trim(), 250);
  const [opened, { open, close }] = useDisclosure(false);
  const [highlight, setHighlight] = useState(-1);

  const enabled = debounced.length >= 2;
  const query = useQuery({
    queryKey: ["search_everything", debounced, includeClosed],
    queryFn: ({ signal }) => api.request<Page<SearchItem>>("/crm/utilities/search_everything", {
      query: { search: debounced, page: 1, per_page: PER_PAGE, search_closed_records: includeClosed },
      signal,
    }),
    enabled,
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });

  const items = useMemo(() => (enabled ? query.data?.data ?? [] : []), [enabled, query.data]);
  const groups = useMemo(() => groupResults(items), [items]);
  useEffect(() => setHighlight(items.length ? 0 : -1), [items]);

  const openItem = (item: SearchItem) => {
    close();
    setTerm("");
    navigate(searchTarget(item));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      open();
      setHighlight((h) => moveHighlight(h, items.length, event.key as "ArrowDown" | "ArrowUp"));
    } else if (event.key === "Enter") {
      event.preventDefault();
      const item = items[highlight] ?? items[0];
      if (item) openItem(item);
    } else if (event.key === "Escape") {
      close();
    }
  };

  const total = query.data?.pagination.total_items ?? 0;

  return (
    <Popover opened={opened && term.trim().length > 0} position="bottom-start" width="target" shadow="md" trapFocus={false} returnFocus={false}>
      <Popover.Target>
        <TextInput
          data-testid="global-search"
          aria-label={t("common.search")}
          placeholder={t("search.placeholder")}
          leftSection={query.isFetching ? <Loader size={14} /> : <IconSearch size={16} />}
          value={term}
          onChange={(event) => {
            setTerm(event.currentTarget.value);
            open();
          }}
          onFocus={open}
          onBlur={() => setTimeout(close, 150)}
          onKeyDown={onKeyDown}
          role="combobox"
          aria-expanded={opened}
          aria-controls="global-search-results"
          aria-activedescendant={highlight >= 0 ? `search-result-${highlight}` : undefined}
          w="100%"
        />
      </Popover.Target>
      <Popover.Dropdown p={0} onMouseDown={(event) => event.preventDefault()}>
        <Paper p="xs">
          <Checkbox
            size="xs"
            mb="xs"
            label={t("search.includeClosed")}
            checked={includeClosed}
            onChange={(event) => setIncludeClosed(event.currentTarget.checked)}
          />
          {!enabled && <Text size="sm" c="dimmed">{t("search.hint")}</Text>}
          {enabled && query.isError && <Text size="sm" c="red" role="alert">{errorMessage(query.error)}</Text>}
          {enabled && query.isSuccess && items.length === 0 && (
            <Text size="sm" c="dimmed">{t("search.noResults", { term: debounced })}</Text>
          )}
          <ScrollArea.Autosize mah={380}>
            <Stack gap={4} id="global-search-results" role="listbox">
              {groups.map((group) => (
                <div key={group.type} role="group" aria-label={t(`search.type.${group.type}`, { defaultValue: group.type })}>
                  <Text size="xs" fw={700} c="dimmed" tt="uppercase" px={6} pt={4}>
                    {t(`search.type.${group.type}`, { defaultValue: group.type })}
                  </Text>
                  {group.items.map(({ item, index }) => (
                    <UnstyledButton
                      key={`${item.type}-${item.id}`}
                      id={`search-result-${index}`}
                      role="option"
                      aria-selected={index === highlight}
                      onMouseEnter={() => setHighlight(index)}
                      onClick={() => openItem(item)}
                      w="100%"
                      px={6}
                      py={4}
                      style={{ borderRadius: 6, background: index === highlight ? "var(--mantine-color-brand-light)" : undefined }}
                    >
                      <Group justify="space-between" wrap="nowrap" gap="xs">
                        <Text size="sm" truncate>{item.name}</Text>
                        {item.customer_id != null && (
                          <Badge size="xs" variant="light" style={{ flexShrink: 0 }}>{t("search.customerId", { id: item.customer_id })}</Badge>
                        )}
                      </Group>
                    </UnstyledButton>
                  ))}
                </div>
              ))}
            </Stack>
          </ScrollArea.Autosize>
          {total > items.length && (
            <Text size="xs" c="dimmed" mt="xs">{t("search.showing", { from: 1, to: items.length, total })}</Text>
          )}
        </Paper>
      </Popover.Dropdown>
    </Popover>
  );
}
