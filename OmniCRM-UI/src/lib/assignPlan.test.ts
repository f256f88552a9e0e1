import { describe, expect, it } from "vitest";
import type { Product } from "../api/domain";
import {
  buildOrder, chooseProduct, createdServiceId, initialWizard, inCatalogue, jobProgress, missing, nameList, nextStep, previousStep,
  resultFields, wizardSteps,
} from "./assignPlan";

const product = (over: Partial<Product>): Product => ({
  product_id: 1, product_name: "Mobile SIM Only", product_slug: "Mobile-SIM", category: "standalone", enabled: true,
  residential: true, business: true, customer_can_purchase: true, inventory_items_list: ["SIM Card", "Mobile Number"],
  auto_renew: "prompt", allow_auto_renew: true, ...over,
});

describe("assign plan wizard", () => {
  it("reads inventory type lists in the forms products store them", () => {
    expect(nameList(["SIM Card", " Mobile Number "])).toEqual(["SIM Card", "Mobile Number"]);
    expect(nameList("[ 'SIM Card', \"Mobile Number\" ]")).toEqual(["SIM Card", "Mobile Number"]);
    expect(nameList("[\u2018Modem Router\u2019]")).toEqual(["Modem Router"]);
    expect(nameList("[]")).toEqual([]);
    expect(nameList(null)).toEqual([]);
  });

  it("asks only for what the product needs", () => {
    expect(wizardSteps({ product: product({}) })).toEqual(["product", "inventory", "autoRenew", "review", "progress"]);
    expect(wizardSteps({ product: product({ inventory_items_list: [], auto_renew: "true" }) })).toEqual(["product", "review", "progress"]);
    const addon = product({ category: "addon", inventory_items_list: [], auto_renew: "false" });
    expect(wizardSteps({ product: addon })).toEqual(["product", "service", "review", "progress"]);
    expect(wizardSteps({ product: addon }, true)).toEqual(["product", "review", "progress"]);
    expect(inCatalogue(addon, "addons")).toBe(true);
    expect(inCatalogue(product({ category: "bundle" }), "plans")).toBe(true);
  });

  it("walks the steps, refusing to go on while something is missing", () => {
    let state = initialWizard(7);
    expect(missing(state)).toEqual(["product"]);
    state = chooseProduct(state, product({}));
    state = { ...state, step: nextStep(state) };
    expect(state.step).toBe("inventory");
    expect(missing(state)).toEqual(["SIM Card", "Mobile Number"]);
    state = { ...state, inventory: { "SIM Card": 3, "Mobile Number": 9 } };
    expect(missing(state)).toEqual([]);
    state = { ...state, step: nextStep(state) };
    expect(state.step).toBe("autoRenew");
    expect(missing(state)).toEqual(["auto_renew"]);
    state = { ...state, autoRenew: false, step: "review" };
    expect(previousStep(state)).toBe("autoRenew");
    expect(buildOrder(state)).toEqual({ product_id: 1, customer_id: 7, "SIM Card": 3, "Mobile Number": 9, auto_renew: false });
  });

  it("starts the choices afresh when another product is picked, keeps them for the same one", () => {
    let state = chooseProduct(initialWizard(7), product({}));
    state = { ...state, inventory: { "SIM Card": 3, "Mobile Number": 9 }, autoRenew: true };
    expect(chooseProduct(state, product({})).inventory["SIM Card"]).toBe(3);
    const other = chooseProduct(state, product({ product_id: 2, inventory_items_list: "['Modem Router']", auto_renew: "true" }));
    expect(other.inventory).toEqual({ "Modem Router": null });
    expect(other.autoRenew).toBeNull();
  });

  it("sends an add-on to the chosen service with the product's own renewal rule", () => {
    const state = { ...chooseProduct(initialWizard(7, { serviceId: 44 }), product({ category: "addon", inventory_items_list: [], auto_renew: "true" })) };
    expect(state.catalogue).toBe("addons");
    expect(buildOrder(state)).toEqual({ product_id: 1, customer_id: 7, service_id: 44, auto_renew: true });
  });
});

describe("provisioning progress", () => {
  const event = (n: number, status: number, name = `Task ${n}`) => ({
    provision_event_id: n, event_number: n, event_name: name, provisioning_status: status,
  });

  it("counts done tasks and shows the ones not started yet as pending", () => {
    const p = jobProgress({ provisioning_status: 1, task_count: 5, provisioning_result_json: [event(2, 1), event(1, 0)] });
    expect(p.tasks.map((t) => t.state)).toEqual(["done", "running", "pending", "pending", "pending"]);
    expect(p.tasks[0].name).toBe("Task 1");
    expect([p.completed, p.total, p.status]).toEqual([1, 5, "running"]);
  });

  it("names the failed task, counts ignored failures as done, and drops pending lines once finished", () => {
    const p = jobProgress({ provisioning_status: 2, task_count: 6, provisioning_result_json: [event(1, 0), event(2, 3), event(3, 2, "Create OCS account")] });
    expect(p.status).toBe("failed");
    expect(p.failed?.name).toBe("Create OCS account");
    expect(p.tasks).toHaveLength(3);
    expect(p.completed).toBe(2);
    expect(jobProgress({ provisioning_status: 0, task_count: 2, provisioning_result_json: [event(1, 0), event(2, 0)] }))
      .toMatchObject({ status: "success", completed: 2, total: 2 });
  });

  it("turns a task result into readable fields, message first", () => {
    expect(resultFields('{"changed": false, "msg": "Could not connect to OCS", "likely_causes": ["OCS down", "bad URL"]}'))
      .toEqual([
        { key: "msg", value: "Could not connect to OCS" },
        { key: "likely_causes", value: "OCS down\nbad URL" },
        { key: "changed", value: "false" },
      ]);
    expect(resultFields("not json")).toEqual([{ key: "result", value: "not json" }]);
    expect(resultFields(null)).toEqual([]);
  });
});

describe("the service a finished order created", () => {
  const job = { service_id: null, product_id: 3, created: "2026-11-29T10:00:05" };
  it("is the job's service when the API names it", () => {
    expect(createdServiceId({ ...job, service_id: 12 }, [])).toBe(12);
  });
  it("is otherwise the first service of the ordered product created since the job started", () => {
    const services = [
      { service_id: 1, product_id: 3, created: "2026-11-01T09:00:00", bundled_parent: null }, // an older one
      { service_id: 8, product_id: 4, created: "2026-11-29T10:00:09", bundled_parent: null }, // another product
      { service_id: 10, product_id: 3, created: "2026-11-29T10:00:11", bundled_parent: 9 }, // a bundle part
      { service_id: 9, product_id: 3, created: "2026-11-29T10:00:10", bundled_parent: null },
    ];
    expect(createdServiceId(job, services)).toBe(9);
    expect(createdServiceId(job, services.slice(0, 3))).toBeNull();
  });
});
