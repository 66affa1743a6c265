package io.quanthub.cli;

import io.quanthub.gguf.convert.ConversionInputs;
import io.quanthub.gguf.convert.ConversionPlan;
import io.quanthub.gguf.convert.ConversionSummary;
import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.gguf.model.ModelSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code quanthub convert INPUT --quant TYPE}: a diffusion model to GGUF, as ComfyUI-GGUF's tools would make it, or a
 * T5 text encoder as llama.cpp's converter and llama-quantize would.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a diffusion model (safetensors, sharded safetensors or an F32/F16/BF16 GGUF) to GGUF "
                + "in one pass, byte-identical to ComfyUI-GGUF's convert.py + llama-quantize; a T5 text encoder "
                + "(safetensors + tokenizer.json) byte-identical to llama.cpp's convert_hf_to_gguf.py + llama-quantize."})
public final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "INPUT",
            description = "A .safetensors file, a *.safetensors.index.json, a directory of shards, or a .gguf.")
    Path input;

    @Option(names = {"-q", "--quant"}, required = true, paramLabel = "TYPE",
            description = "F32, F16, BF16, Q8_0, Q6_K, Q5_K_M, Q5_K_S, Q5_1, Q5_0, Q4_K_M, Q4_K_S, Q4_1, Q4_0, "
                    + "Q3_K_L, Q3_K_M, Q3_K_S, Q2_K, IQ4_NL, IQ4_XS (case-insensitive).")
    String quant;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE",
            description = "Output file (default: <input-stem>-<TYPE>.gguf next to the input).")
    Path out;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "A text encoder's Hugging Face tokenizer.json (T5; default: tokenizer.json, "
                    + "t5_tokenizer/tokenizer.json or tokenizer/tokenizer.json next to INPUT).")
    Path tokenizer;

    @Option(names = "--name", paramLabel = "NAME",
            description = "general.name of a text encoder's GGUF (default: the input file's stem).")
    String name;

    @Option(names = "--force", description = "Replace the output file if it exists.")
    boolean force;

    @Option(names = "--progress", negatable = true,
            description = "Draw a progress bar (default: only on a terminal; otherwise a line every few seconds).")
    Boolean progress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        QuantLevel level = QuantLevel.parse(quant);
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        Path output = out != null ? out : Converter.defaultOutput(input, level);
        Converter converter = new Converter(nThreads, force).measuringError();
        converter.refuseExisting(output);

        try (ModelSource source = ModelSource.open(input)) {
            ConversionPlan plan = ConversionPlan.of(source, level, ConversionInputs.besides(input, tokenizer, name));
            stderr.printf(Locale.ROOT, "%s: %s model, %d tensors -> %s %s%n", input.getFileName(),
                    plan.architecture(), plan.tensors().size(), level, output);
            stderr.flush();
            boolean interactive = progress != null ? progress : ProgressBar.interactiveByDefault();
            ProgressBar bar = new ProgressBar(stderr, "convert", plan.dataBytes(), interactive);
            ConversionSummary summary;
            try {
                summary = converter.write(plan, output, p -> bar.update(p.bytesDone(),
                        "tensors " + p.tensorsDone() + "/" + p.tensorsTotal()));
            } catch (Exception | Error e) {
                bar.abandon();
                throw e;
            }
            bar.finish(plan.dataBytes(), "tensors " + plan.tensors().size() + "/" + plan.tensors().size());
            printSummary(stdout, summary);
        }
        return 0;
    }

    static void printSummary(PrintWriter out, ConversionSummary s) {
        out.printf(Locale.ROOT, "wrote %s%n", s.output());
        out.printf(Locale.ROOT, "  %s, %s, %d tensors, %s, %s, %s%n", s.architecture(), s.level(), s.tensorCount(),
                ProgressBar.bytes(s.fileSize()),
                Double.isNaN(s.bitsPerWeight()) ? "no quantizable tensors"
                        : String.format(Locale.ROOT, "%.2f bits per weight (quantizable tensors)", s.bitsPerWeight()),
                ProgressBar.duration(s.elapsed().toSeconds()));
        if (s.error() != null) {
            out.printf(Locale.ROOT, "  error vs the source: relative RMSE %.6f, cosine similarity %.8f (all tensors)%n",
                    s.error().relativeRmse(), s.error().cosine());
        }
        for (ConversionSummary.TypeTotal t : s.types()) {
            out.printf(Locale.ROOT, "  %-6s %5d tensors %10s%n", t.type(), t.tensors(), ProgressBar.bytes(t.bytes()));
        }
        if (!s.skipped().isEmpty()) {
            out.printf(Locale.ROOT, "  left out %d source tensors (e.g. %s: %s)%n", s.skipped().size(),
                    s.skipped().getFirst().sourceName(), s.skipped().getFirst().reason());
        }
        out.flush();
    }
}
