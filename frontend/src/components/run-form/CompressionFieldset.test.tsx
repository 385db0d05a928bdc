import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CreateRunRequest as Schema,
  requestFromPreset,
  type CreateRunRequest,
} from "../../../../backend/src/domain/index";
import { ruleErrors } from "../../run-request";
import { CompressionFieldset } from "./CompressionFieldset";
import { RunForm } from "./RunForm";

afterEach(cleanup);

/** The fieldset on its own, holding the request as the run form does; `latest` reads it. */
function renderFieldset(preset: string) {
  let latest: CreateRunRequest = requestFromPreset(preset);
  function Harness() {
    const [req, setReq] = useState(latest);
    latest = req;
    return <CompressionFieldset req={req} errors={ruleErrors(req)} update={setReq} />;
  }
  render(<Harness />);
  return () => latest;
}

const change = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe("CompressionFieldset", () => {
  it("builds the compression block field by field", () => {
    const request = renderFieldset("quick-demo");
    expect(request()).not.toHaveProperty("compression");
    expect(screen.queryByLabelText("Upload scale groups")).toBeNull();

    change("Upload quantisation", "int4");
    expect(request().compression).toEqual({
      upload: { quantise: "int4", scale: "chunk", chunkSize: 256 },
      download: { quantise: "none", scale: "chunk", chunkSize: 256 },
    });
    change("Upload chunk size", "128");
    change("Top-k sparsification", "on");
    expect((screen.getByLabelText("Top-k share (%)") as HTMLInputElement).value).toBe("10");
    change("Top-k share (%)", "5");
    change("Download quantisation", "int8");
    change("Download scale groups", "tensor");
    expect(screen.queryByLabelText("Download chunk size")).toBeNull();

    expect(request().compression).toEqual({
      upload: { quantise: "int4", scale: "chunk", chunkSize: 128, topK: 0.05 },
      download: { quantise: "int8", scale: "tensor", chunkSize: 256 },
    });
    expect(Schema.safeParse(request()).success).toBe(true);
  });

  it("leaves no compression key once everything is back to none and top-k is off", () => {
    const request = renderFieldset("quick-demo");
    change("Top-k sparsification", "on");
    expect(request().compression).toEqual({
      upload: { quantise: "none", scale: "chunk", chunkSize: 256, topK: 0.1 },
      download: { quantise: "none", scale: "chunk", chunkSize: 256 },
    });
    change("Download quantisation", "int8");
    change("Top-k sparsification", "off");
    expect(request().compression?.upload).not.toHaveProperty("topK");
    expect(request()).toHaveProperty("compression");
    change("Download quantisation", "none");
    expect(request()).not.toHaveProperty("compression");
    expect(Object.keys(request())).toEqual(Object.keys(requestFromPreset("quick-demo")));
  });

  it("explains top-k against secure aggregation and shows the conflict at the field", () => {
    renderFieldset("secure-aggregation");
    expect(screen.getByTestId("compression-hint").textContent).toMatch(
      /cannot be combined with secure aggregation.*masking ring/,
    );
    change("Upload quantisation", "int8");
    expect(screen.queryByRole("alert")).toBeNull();
    change("Top-k sparsification", "on");
    expect(screen.getByRole("alert").textContent).toMatch(
      /^top-k sparsification cannot be used with secure aggregation/,
    );
    expect(screen.getByLabelText("Top-k share (%)").getAttribute("aria-invalid")).toBe("true");
  });
});

describe("RunForm compression", () => {
  function submitted(onSubmit: ReturnType<typeof vi.fn>): CreateRunRequest {
    expect(onSubmit).toHaveBeenCalledTimes(1);
    return onSubmit.mock.calls[0]![0] as CreateRunRequest;
  }

  it("submits no compression key by default and the chosen block otherwise", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    fireEvent.click(screen.getByTestId("start-run"));
    expect(submitted(onSubmit)).not.toHaveProperty("compression");

    change("Upload quantisation", "int8");
    change("Top-k sparsification", "on");
    change("Top-k share (%)", "2.5");
    fireEvent.click(screen.getByTestId("start-run"));
    expect(onSubmit.mock.calls[1]![0]).toMatchObject({
      compression: { upload: { quantise: "int8", topK: 0.025 }, download: { quantise: "none" } },
    });
  });

  it("refuses an empty or out-of-range top-k share at its field", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    change("Top-k sparsification", "on");
    change("Top-k share (%)", "100");
    fireEvent.click(screen.getByTestId("start-run"));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByLabelText("Top-k share (%)").getAttribute("aria-invalid")).toBe("true");
    // Shown at the field, not repeated in the summary above the buttons.
    expect(screen.getByText(/^Fix the highlighted field/).textContent).not.toMatch(/compression/);
    change("Top-k share (%)", "");
    expect(screen.getByLabelText("Top-k share (%)").getAttribute("aria-invalid")).toBe("true");
    change("Top-k share (%)", "10");
    fireEvent.click(screen.getByTestId("start-run"));
    expect(submitted(onSubmit).compression?.upload?.topK).toBe(0.1);
  });

  it("keeps secure aggregation with quantisation but not with top-k", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="secure-aggregation" />);
    change("Top-k sparsification", "on");
    fireEvent.click(screen.getByTestId("start-run"));
    expect(onSubmit).not.toHaveBeenCalled();
    change("Top-k sparsification", "off");
    change("Upload quantisation", "int8");
    fireEvent.click(screen.getByTestId("start-run"));
    const req = submitted(onSubmit);
    expect(req.aggregation?.mode).toBe("secure");
    expect(req.compression?.upload).toEqual({ quantise: "int8", scale: "chunk", chunkSize: 256 });
  });
});
