import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";
import { type ListDefaults, type ListParams, listParamsToSearch, parseListParams, updateListParams } from "./listParams";

/** The list state of the current page, read from and written to the URL. */
export function useListParams(defaults: ListDefaults) {
  const [search, setSearch] = useSearchParams();
  const key = JSON.stringify(defaults);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const stableDefaults = useMemo(() => defaults, [key]);
  const params = useMemo(() => parseListParams(search, stableDefaults), [search, stableDefaults]);
  const setParams = useCallback(
    (change: Partial<ListParams> | ((current: ListParams) => ListParams)) => {
      setSearch((current) => {
        const now = parseListParams(current, stableDefaults);
        const next = typeof change === "function" ? change(now) : updateListParams(now, change);
        return listParamsToSearch(next, stableDefaults, current);
      }, { replace: false });
    },
    [setSearch, stableDefaults],
  );
  return [params, setParams] as const;
}
