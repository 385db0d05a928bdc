import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CreateRunRequest as CreateRunRequestSchema,
  presetById,
  requestFromPreset,
  type CreateRunRequest,
} from "../../../../backend/src/domain/index";
import { RunForm } from "./RunForm";

afterEach(cleanup);

function submit(onSubmit: ReturnType<typeof vi.fn>): CreateRunRequest {
  onSubmit.mockClear();
  fireEvent.click(screen.getByTestId("start-run"));
  expect(onSubmit).toHaveBeenCalledTimes(1);
  const req = onSubmit.mock.calls[0]![0] as CreateRunRequest;
  // What the form submits is what the coordinator accepts.
  expect(CreateRunRequestSchema.safeParse(req).success).toBe(true);
  return req;
}

const change = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

/** The error or hint shown with the field labelled `label`. */
function noteOf(label: string): string {
  const id = screen.getByLabelText(label).getAttribute("aria-describedby");
  return (id && document.getElementById(id)?.textContent) || "";
}

describe("OwnDataFields", () => {
  it("builds a CSV data block and switches a CNN to the MLP for a table", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    change("Model", "cnn");
    expect(screen.queryByTestId("own-data")).toBeNull();
    change("Dataset", "own");
    expect(noteOf("Dataset")).toContain("data root");
    expect((screen.getByLabelText("Model") as HTMLSelectElement).value).toBe("2nn");
    // Simulated nodes need the coordinator's training data: said at once, at its field.
    expect(noteOf("Training data")).toContain("declare data.train");
    change("Data name", "insurance");
    change("Training data", "insurance/train.tsv");
    change("Validation and test data", "files");
    change("Validation data", "insurance/validation.tsv");
    change("Test data", "insurance/test.tsv");
    change("Label column", "claim");
    change("Categorical columns", "sex, smoker,");
    expect((screen.getByLabelText("Categorical columns") as HTMLInputElement).value).toBe(
      "sex, smoker,",
    );
    change("Ignored columns", "id");
    change("Column delimiter", "tab");
    change("Class list", "no, yes");
    const req = submit(onSubmit);
    expect(req).toMatchObject({ dataset: "own", model: "2nn" });
    expect(req.data).toEqual({
      name: "insurance",
      format: "csv",
      train: "insurance/train.tsv",
      validation: "insurance/validation.tsv",
      test: "insurance/test.tsv",
      csv: { label: "claim", categorical: ["sex", "smoker"], ignore: ["id"], delimiter: "\t" },
      classes: ["no", "yes"],
    });
  });

  it("builds an image-folder data block with hold-out fractions", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    change("Dataset", "own");
    change("Data format", "image-folder");
    expect(screen.queryByLabelText("Label column")).toBeNull();
    change("Model", "cnn");
    change("Data name", "leaves");
    change("Training data", "leaves/train");
    expect((screen.getByLabelText("Validation and test data") as HTMLSelectElement).value).toBe(
      "holdout",
    );
    change("Validation share", "0.2");
    change("Test share", "0.15");
    change("Image height (px)", "64");
    change("Image width (px)", "48");
    change("Colour channels", "1");
    fireEvent.click(screen.getByLabelText("Resize other sizes"));
    const req = submit(onSubmit);
    expect(req).toMatchObject({ dataset: "own", model: "cnn" });
    expect(req.data).toEqual({
      name: "leaves",
      format: "image-folder",
      train: "leaves/train",
      holdout: { validation: 0.2, test: 0.15 },
      image: { height: 64, width: 48, channels: 1, resize: false },
    });
  });

  it("drops the data block for a packaged dataset and restores it when going back", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    change("Dataset", "own");
    change("Data name", "mine");
    change("Training data", "mine/train.csv");
    change("Dataset", "mnist");
    expect(screen.queryByTestId("own-data")).toBeNull();
    const packaged = submit(onSubmit);
    expect(packaged.dataset).toBe("mnist");
    expect(packaged).not.toHaveProperty("data");
    change("Dataset", "own");
    expect((screen.getByLabelText("Data name") as HTMLInputElement).value).toBe("mine");
    expect(submit(onSubmit).data).toMatchObject({ name: "mine", train: "mine/train.csv" });
  });

  it("shows the schema's errors next to the data fields and does not submit", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    change("Dataset", "own");
    change("Data name", "My Data!");
    change("Training data", "../elsewhere.csv");
    change("Validation share", "0.7");
    change("Label column", "");
    fireEvent.click(screen.getByTestId("start-run"));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(noteOf("Data name")).toContain("a-z 0-9");
    expect(noteOf("Training data")).toContain("relative to the coordinator's data root");
    expect(noteOf("Validation share")).toMatch(/0\.5/);
    expect(noteOf("Label column")).not.toBe("The column of each row's class");
    // Shown at their fields, not repeated in the summary.
    const summary = screen.getAllByRole("alert").find((a) => a.textContent?.includes("Fix the"));
    expect(summary?.textContent).not.toContain("data.");
  });

  it("loads the breast-cancer-tabular preset with its data block and submits it unchanged", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    change("Preset", "breast-cancer-tabular");
    expect((screen.getByLabelText("Dataset") as HTMLSelectElement).value).toBe("own");
    expect((screen.getByLabelText("Data name") as HTMLInputElement).value).toBe(
      "breast-cancer-wisconsin",
    );
    expect((screen.getByLabelText("Label column") as HTMLInputElement).value).toBe("diagnosis");
    expect((screen.getByLabelText("Test data") as HTMLInputElement).value).toBe(
      "breast-cancer-wisconsin/test.csv",
    );
    expect(submit(onSubmit)).toEqual(presetById("breast-cancer-tabular")!.request);
  });

  it("drops what the coordinator resolved once the data block is edited", () => {
    const onSubmit = vi.fn();
    const base = requestFromPreset("breast-cancer-tabular");
    const resolved = {
      inputShape: [30],
      classNames: ["B", "M"],
      samples: { train: 400, validation: 80, test: 89 },
    };
    const initial = { ...base, data: { ...base.data!, resolved } };
    render(<RunForm onSubmit={onSubmit} initialRequest={initial} />);
    expect(submit(onSubmit).data?.resolved).toEqual(resolved);
    change("Class list", "B, M");
    const data = submit(onSubmit).data!;
    expect(data).not.toHaveProperty("resolved");
    expect(data.classes).toEqual(["B", "M"]);
  });
});

describe("ModelTopologyField", () => {
  const topology = {
    class_name: "Sequential",
    config: {
      name: "mlp",
      layers: [
        {
          class_name: "Dense",
          config: { units: 16, activation: "relu", batch_input_shape: [null, 30] },
        },
        { class_name: "Dense", config: { units: 2, activation: "softmax" } },
      ],
    },
  };

  it("parses the Layers JSON into modelTopology, shows a syntax error, and drops it for a built-in", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="breast-cancer-tabular" />);
    change("Model", "layers");
    expect(noteOf("Model")).toContain("softmax on the last layer is treated as logits");
    // No topology yet: the coordinator's rule, at the field.
    expect(noteOf("Model topology (JSON)")).toContain('model "layers" needs modelTopology');
    change("Model topology (JSON)", '{"class_name": "Sequential", ');
    expect(noteOf("Model topology (JSON)")).toMatch(/^Not valid JSON/);
    fireEvent.click(screen.getByTestId("start-run"));
    expect(onSubmit).not.toHaveBeenCalled();
    change("Model topology (JSON)", "[1, 2]");
    expect(noteOf("Model topology (JSON)")).toContain("Expected a JSON object");
    change("Model topology (JSON)", JSON.stringify(topology));
    expect(noteOf("Model topology (JSON)")).not.toMatch(/JSON:|Expected|needs/);
    const req = submit(onSubmit);
    expect(req.model).toBe("layers");
    expect(req.modelTopology).toEqual(topology);
    // model.toJSON() returns a JSON string: pasting it quoted works too.
    change("Model topology (JSON)", JSON.stringify(JSON.stringify(topology)));
    expect(submit(onSubmit).modelTopology).toEqual(topology);
    change("Model", "2nn");
    expect(screen.queryByLabelText("Model topology (JSON)")).toBeNull();
    const builtIn = submit(onSubmit);
    expect(builtIn.model).toBe("2nn");
    expect(builtIn).not.toHaveProperty("modelTopology");
  });

  it("shows a topology loaded with the request", () => {
    const base = requestFromPreset("breast-cancer-tabular");
    const onSubmit = vi.fn();
    render(
      <RunForm
        onSubmit={onSubmit}
        initialRequest={{ ...base, model: "layers", modelTopology: topology }}
      />,
    );
    const box = screen.getByLabelText("Model topology (JSON)") as HTMLTextAreaElement;
    expect(JSON.parse(box.value)).toEqual(topology);
    expect(submit(onSubmit).modelTopology).toEqual(topology);
  });
});
