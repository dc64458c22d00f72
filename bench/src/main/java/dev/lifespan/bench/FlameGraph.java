package dev.lifespan.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * A flame graph of a JFR recording's CPU samples ({@code jdk.ExecutionSample}), written twice: as collapsed stacks
 * ({@code PREFIX.collapsed.gz}, one {@code root;...;leaf count} line per distinct stack, gzipped: the format other
 * flame graph tools read) and as a self-contained SVG ({@code PREFIX.svg}, root at the bottom, each frame as wide as its share of
 * the samples, its count and share in the tooltip). No tool beyond the JDK is needed, so profiles taken on the
 * benchmark machine can be kept with the results.
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.lifespan.bench.FlameGraph --jfr issuer.jfr --out results/grpc-refresh \
 *      [--title "gRPC RefreshTokens"] [--thread vert.x-eventloop]</pre>
 *
 * JFR samples threads running Java code only: time in system calls and in the garbage collector is not in the graph
 * (compare with the process's user and system CPU).
 */
public final class FlameGraph {
    private static final String USAGE = "usage: FlameGraph --jfr FILE --out PREFIX [--title TEXT] [--thread NAME_PREFIX]";
    private static final int WIDTH = 1200;
    private static final int FRAME_HEIGHT = 16;
    /** Frames narrower than this many pixels are left out: invisible, and they would make the file ten times larger. */
    private static final double MIN_WIDTH = 1.0;

    private FlameGraph() {
    }

    public static void main(String[] args) throws IOException {
        Path jfr = null;
        String out = null;
        String title = null;
        String thread = "";
        for (int i = 0; i < args.length; i++) {
            if (i + 1 >= args.length) {
                usage();
            }
            switch (args[i]) {
                case "--jfr" -> jfr = Path.of(args[++i]);
                case "--out" -> out = args[++i];
                case "--title" -> title = args[++i];
                case "--thread" -> thread = args[++i];
                default -> usage();
            }
        }
        if (jfr == null || out == null) {
            usage();
        }
        Map<String, Long> stacks = collapse(jfr, thread);
        long total = stacks.values().stream().mapToLong(Long::longValue).sum();
        if (total == 0) {
            System.err.println("no jdk.ExecutionSample events" + (thread.isEmpty() ? "" : " on threads named " + thread + "*") + " in " + jfr);
            System.exit(1);
        }
        try (Writer w = new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(Path.of(out + ".collapsed.gz"))),
                StandardCharsets.UTF_8)) {
            for (Map.Entry<String, Long> e : stacks.entrySet()) {
                w.write(e.getKey() + " " + e.getValue() + "\n");
            }
        }
        Frame root = tree(stacks);
        String heading = (title == null ? jfr.getFileName().toString() : title) + " (" + total + " samples"
                + (thread.isEmpty() ? "" : ", threads " + thread + "*") + ")";
        Files.writeString(Path.of(out + ".svg"), svg(root, heading), StandardCharsets.UTF_8);
        System.out.println("wrote " + out + ".collapsed.gz and " + out + ".svg: " + total + " samples, " + stacks.size() + " distinct stacks");
    }

    private static void usage() {
        System.err.println(USAGE);
        System.exit(2);
    }

    /** Stack (root first, frames joined by ';') to the number of samples that ended in it. */
    static Map<String, Long> collapse(Path jfr, String threadPrefix) throws IOException {
        Map<String, Long> stacks = new TreeMap<>();
        try (RecordingFile recording = new RecordingFile(jfr)) {
            while (recording.hasMoreEvents()) {
                RecordedEvent event = recording.readEvent();
                if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                    continue;
                }
                var sampled = event.getThread("sampledThread");
                String name = sampled == null || sampled.getJavaName() == null ? "" : sampled.getJavaName();
                RecordedStackTrace trace = event.getStackTrace();
                if (trace == null || !name.startsWith(threadPrefix)) {
                    continue;
                }
                List<RecordedFrame> frames = trace.getFrames();
                StringBuilder stack = new StringBuilder();
                for (int i = frames.size() - 1; i >= 0; i--) {
                    if (stack.length() > 0) {
                        stack.append(';');
                    }
                    stack.append(frameName(frames.get(i)));
                }
                stacks.merge(stack.toString(), 1L, Long::sum);
            }
        }
        return stacks;
    }

    private static String frameName(RecordedFrame frame) {
        String type = frame.getMethod().getType().getName();
        int lambda = type.indexOf("$$Lambda");
        if (lambda > 0) {
            type = type.substring(0, lambda) + "$$Lambda";
        }
        return (type + "." + frame.getMethod().getName()).replace(';', ':').replace(' ', '_');
    }

    static final class Frame {
        final String name;
        long samples;
        final Map<String, Frame> children = new LinkedHashMap<>();

        Frame(String name) {
            this.name = name;
        }
    }

    static Frame tree(Map<String, Long> stacks) {
        Frame root = new Frame("all");
        for (Map.Entry<String, Long> e : stacks.entrySet()) {
            Frame at = root;
            root.samples += e.getValue();
            for (String name : e.getKey().split(";")) {
                at = at.children.computeIfAbsent(name, Frame::new);
                at.samples += e.getValue();
            }
        }
        return root;
    }

    private static int depth(Frame frame) {
        int deepest = 0;
        for (Frame child : frame.children.values()) {
            deepest = Math.max(deepest, depth(child));
        }
        return deepest + 1;
    }

    static String svg(Frame root, String heading) {
        int height = (depth(root) + 2) * FRAME_HEIGHT + 10;
        StringBuilder svg = new StringBuilder(1 << 20);
        svg.append("<?xml version=\"1.0\" standalone=\"no\"?>\n")
                .append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height).append("\" font-family=\"monospace\" font-size=\"11\">\n")
                .append("<rect width=\"100%\" height=\"100%\" fill=\"#fdfdf6\"/>\n")
                .append("<text x=\"").append(WIDTH / 2).append("\" y=\"14\" text-anchor=\"middle\" font-size=\"13\">").append(escape(heading))
                .append("</text>\n");
        draw(svg, root, 0, WIDTH, height - FRAME_HEIGHT - 4, root.samples);
        return svg.append("</svg>\n").toString();
    }

    private static void draw(StringBuilder svg, Frame frame, double x, double width, int y, long total) {
        if (width < MIN_WIDTH) {
            return;
        }
        String share = String.format("%.2f", 100.0 * frame.samples / total);
        svg.append("<g><title>").append(escape(frame.name)).append(" (").append(frame.samples).append(" samples, ").append(share)
                .append("%)</title><rect x=\"").append(String.format("%.2f", x)).append("\" y=\"").append(y).append("\" width=\"")
                .append(String.format("%.2f", Math.max(width - 0.5, 0.1))).append("\" height=\"").append(FRAME_HEIGHT - 1)
                .append("\" fill=\"").append(colour(frame.name)).append("\"/>");
        int fits = (int) ((width - 4) / 6.6);
        if (fits >= 3) {
            String label = frame.name.length() <= fits ? frame.name : frame.name.substring(0, fits - 2) + "..";
            svg.append("<text x=\"").append(String.format("%.2f", x + 2)).append("\" y=\"").append(y + FRAME_HEIGHT - 4).append("\">")
                    .append(escape(label)).append("</text>");
        }
        svg.append("</g>\n");
        List<Frame> children = new ArrayList<>(frame.children.values());
        children.sort(Comparator.comparing(f -> f.name));
        double at = x;
        for (Frame child : children) {
            double childWidth = width * child.samples / frame.samples;
            draw(svg, child, at, childWidth, y - FRAME_HEIGHT, total);
            at += childWidth;
        }
    }

    /** Lifespan's own code green, the JDK grey-blue, everything else warm, varied by name so neighbours differ. */
    private static String colour(String name) {
        int h = Math.abs(name.hashCode() % 40);
        if (name.startsWith("dev.lifespan") || name.startsWith("dev/lifespan")) {
            return "rgb(" + (80 + h) + "," + (190 + h / 2) + "," + (90 + h) + ")";
        }
        if (name.startsWith("java") || name.startsWith("jdk") || name.startsWith("sun")) {
            return "rgb(" + (150 + h) + "," + (170 + h) + "," + (210 + h / 2) + ")";
        }
        return "rgb(" + (215 + h) + "," + (110 + 2 * h) + "," + (50 + h) + ")";
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
