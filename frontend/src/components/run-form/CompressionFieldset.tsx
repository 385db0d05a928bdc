// "Compression": quantised and/or top-k sparsified uploads, quantised downloads
// (domain/compression.ts). Raw float32 both ways leaves the request without a compression key.
import {
  DownloadCompression,
  UploadCompression,
  type CreateRunRequest,
  type Quantisation,
} from "../../../../backend/src/domain/index";
import type { SectionProps } from "./catalogue";
import { EntrySelect, Field, NumberInput } from "./fields";

type Upload = UploadCompression;
type Download = DownloadCompression;
type Scaled = Pick<Download, "quantise" | "scale" | "chunkSize">;

/** The schema's defaults: no quantisation, one scale per chunk of 256 values, dense. */
const UPLOAD_START: Upload = UploadCompression.parse({});
const DOWNLOAD_START: Download = DownloadCompression.parse({});
/** What switching top-k on starts from: the largest 10% of coordinates. */
export const TOP_K_START = 0.1;

/** Every error path this fieldset shows at a field (so the form's summary leaves them out). */
export const COMPRESSION_FIELD_PATHS: readonly string[] = [
  "compression",
  ...["compression.upload.quantise", "compression.upload.scale", "compression.upload.chunkSize"],
  "compression.upload.topK",
  ...["compression.download.quantise", "compression.download.scale"],
  "compression.download.chunkSize",
];

const QUANTISATIONS: readonly { id: Quantisation; label: string }[] = [
  { id: "none", label: "None (float32)" },
  { id: "int8", label: "int8" },
  { id: "int4", label: "int4" },
];

/** The request's compression in full, the schema's defaults filled in. */
export function compressionOf(req: CreateRunRequest): { upload: Upload; download: Download } {
  return {
    upload: { ...UPLOAD_START, ...req.compression?.upload },
    download: { ...DOWNLOAD_START, ...req.compression?.download },
  };
}

/**
 * `req` with compression `upload` and `download`; without any compression key when neither
 * direction quantises and top-k is off (raw float32, as runs without compression travel).
 */
export function withCompression(
  req: CreateRunRequest,
  upload: Upload,
  download: Download,
): CreateRunRequest {
  const { compression: _previous, ...rest } = req;
  const raw =
    upload.quantise === "none" && upload.topK === undefined && download.quantise === "none";
  if (raw) return rest;
  const { topK, ...dense } = upload;
  return { ...rest, compression: { upload: topK === undefined ? dense : upload, download } };
}

/** 10 (%) -> 0.1; an empty box stays NaN for the schema to refuse. */
function fractionOfPercent(percent: number): number {
  return Number.isNaN(percent) ? Number.NaN : Number((percent / 100).toPrecision(12));
}

function percentOfFraction(fraction: number): number {
  return Number.isNaN(fraction) ? Number.NaN : Number((fraction * 100).toPrecision(12));
}

export function CompressionFieldset({ req, errors, update }: SectionProps) {
  const { upload, download } = compressionOf(req);
  const secure = req.aggregation?.mode === "secure";
  const setUpload = (patch: Partial<Upload>) =>
    update((r) => {
      const current = compressionOf(r);
      return withCompression(r, { ...current.upload, ...patch }, current.download);
    });
  const setDownload = (patch: Partial<Download>) =>
    update((r) => {
      const current = compressionOf(r);
      return withCompression(r, current.upload, { ...current.download, ...patch });
    });
  const setTopK = (topK: number | undefined) =>
    update((r) => {
      const current = compressionOf(r);
      const { topK: _previous, ...dense } = current.upload;
      return withCompression(r, topK === undefined ? dense : { ...dense, topK }, current.download);
    });

  return (
    <fieldset data-testid="compression-fieldset">
      <legend>Compression</legend>
      <p className="muted small" data-testid="compression-hint">
        Top-k sparsification cannot be combined with secure aggregation: the masks cancel only in a
        sum over every coordinate, so the coordinator refuses the run. Under secure aggregation,
        quantised values go into the masking ring (a smaller ring, fewer bytes).
      </p>
      <div className="form-grid">
        <Field
          label="Upload quantisation"
          error={errors["compression.upload.quantise"]}
          hint={
            upload.quantise === "none"
              ? "Nodes send their update as float32"
              : secure
                ? "Stochastic rounding, packed into the masking ring"
                : "Stochastic rounding with a float32 scale per group"
          }
        >
          <EntrySelect
            name="uploadQuantise"
            entries={QUANTISATIONS}
            value={upload.quantise}
            onChange={(quantise) => setUpload({ quantise })}
          />
        </Field>
        {upload.quantise !== "none" && (
          <ScaleFields
            direction="upload"
            value={upload}
            errors={errors}
            set={(patch) => setUpload(patch)}
          />
        )}
        <Field
          label="Top-k sparsification"
          hint="Send only the largest coordinates; the rest stay in the node's residual (error feedback). Not with secure aggregation."
        >
          <select
            name="topK"
            value={upload.topK === undefined ? "off" : "on"}
            onChange={(e) => setTopK(e.target.value === "on" ? TOP_K_START : undefined)}
          >
            <option value="off">Off (dense)</option>
            <option value="on">On, with error feedback</option>
          </select>
        </Field>
        {upload.topK !== undefined && (
          <Field
            label="Top-k share (%)"
            error={errors["compression.upload.topK"]}
            hint="Share of the update's coordinates each node sends: more than 0 and less than 100 (e.g. 0.5 or 10)"
          >
            <NumberInput
              name="topKPercent"
              value={percentOfFraction(upload.topK)}
              min={0.001}
              max={99.999}
              onChange={(percent) => setTopK(fractionOfPercent(percent))}
            />
          </Field>
        )}
        <Field
          label="Download quantisation"
          error={errors["compression.download.quantise"]}
          hint={
            download.quantise === "none"
              ? "Nodes download the global model as float32"
              : "Nearest rounding with a float32 scale per group"
          }
        >
          <EntrySelect
            name="downloadQuantise"
            entries={QUANTISATIONS}
            value={download.quantise}
            onChange={(quantise) => setDownload({ quantise })}
          />
        </Field>
        {download.quantise !== "none" && (
          <ScaleFields
            direction="download"
            value={download}
            errors={errors}
            set={(patch) => setDownload(patch)}
          />
        )}
      </div>
      {errors.compression && (
        <p className="field-error" role="alert">
          {errors.compression}
        </p>
      )}
    </fieldset>
  );
}

/** Scale groups (per tensor or per chunk) and, per chunk, the chunk size of one direction. */
function ScaleFields(props: {
  direction: "upload" | "download";
  value: Scaled;
  errors: SectionProps["errors"];
  set: (patch: Partial<Scaled>) => void;
}) {
  const { direction, value, errors, set } = props;
  const Direction = direction === "upload" ? "Upload" : "Download";
  return (
    <>
      <Field
        label={`${Direction} scale groups`}
        error={errors[`compression.${direction}.scale`]}
        hint="One float32 scale per parameter tensor, or per chunk of values"
      >
        <select
          name={`${direction}Scale`}
          value={value.scale}
          onChange={(e) => set({ scale: e.target.value === "tensor" ? "tensor" : "chunk" })}
        >
          <option value="tensor">Per tensor</option>
          <option value="chunk">Per chunk</option>
        </select>
      </Field>
      {value.scale === "chunk" && (
        <Field
          label={`${Direction} chunk size`}
          error={errors[`compression.${direction}.chunkSize`]}
          hint="Values per scale (16 to 1,048,576)"
        >
          <NumberInput
            name={`${direction}ChunkSize`}
            value={value.chunkSize}
            step={1}
            min={16}
            onChange={(chunkSize) => set({ chunkSize })}
          />
        </Field>
      )}
    </>
  );
}
