package dev.lifespan.cli.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.annotations.RegisterForReflection;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/**
 * {@code --output table|json} on every command, and the one place output is written: tables and sentences for people,
 * one JSON document for scripts (JSON Lines, one object a line, for the commands that follow a stream).
 * JSON is built as trees, so nothing needs reflection in a native image.
 */
public final class OutputOptions {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper JSON_LINE = new ObjectMapper();

    /** The output formats (picocli reads the name; registered so a native image can too). */
    @RegisterForReflection
    public enum Format { table, json }

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table (for people, the default) or json (for scripts).")
    Format format = Format.table;

    public boolean json() {
        return format == Format.json;
    }

    public PrintWriter out() {
        return mixee.commandLine().getOut();
    }

    public PrintWriter err() {
        return mixee.commandLine().getErr();
    }

    public static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    public static ArrayNode array() {
        return JsonNodeFactory.instance.arrayNode();
    }

    /** Prints {@code node} as one indented JSON document. */
    public void print(com.fasterxml.jackson.databind.JsonNode node) {
        try {
            out().println(JSON.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out().flush();
    }

    /** Prints {@code node} as one line (JSON Lines), flushed at once: for streams. */
    public void printLine(com.fasterxml.jackson.databind.JsonNode node) {
        try {
            out().println(JSON_LINE.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out().flush();
    }

    /** Prints a line of text for people. */
    public void line(String text) {
        out().println(text);
        out().flush();
    }
}
