package io.quanthub.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Columns of text aligned with spaces, for the listing commands: a header row, then one row per item. */
public final class TextTable {
    private final String[] headers;
    private final boolean[] rightAligned;
    private final List<String[]> rows = new ArrayList<>();

    public TextTable(String... headers) {
        this.headers = headers;
        this.rightAligned = new boolean[headers.length];
    }

    /** Right-aligns the given columns (numbers, sizes). */
    public TextTable alignRight(int... columns) {
        for (int c : columns) rightAligned[c] = true;
        return this;
    }

    public TextTable row(Object... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.length + " columns");
        }
        String[] row = new String[cells.length];
        for (int i = 0; i < cells.length; i++) row[i] = cells[i] == null ? "-" : cells[i].toString();
        rows.add(row);
        return this;
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    public void print(PrintWriter out, String indent) {
        int[] widths = new int[headers.length];
        for (int i = 0; i < headers.length; i++) widths[i] = headers[i].length();
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) widths[i] = Math.max(widths[i], row[i].length());
        }
        printRow(out, indent, headers, widths);
        for (String[] row : rows) printRow(out, indent, row, widths);
        out.flush();
    }

    private void printRow(PrintWriter out, String indent, String[] cells, int[] widths) {
        StringBuilder sb = new StringBuilder(indent);
        for (int i = 0; i < cells.length; i++) {
            boolean last = i == cells.length - 1;
            String pad = " ".repeat(widths[i] - cells[i].length());
            if (rightAligned[i]) sb.append(pad).append(cells[i]);
            else sb.append(cells[i]).append(last ? "" : pad);
            if (!last) sb.append("  ");
        }
        out.println(sb.toString().stripTrailing());
    }
}
