namespace RollbackFunctions.Local.Demo;

/// <summary>
/// The fire drill's live view. On a terminal it redraws one block in place; when the output is a
/// file or a pipe it writes a line only when the picture changes, so logs stay readable.
/// </summary>
public sealed class ProgressDisplay(TextWriter output, bool redraw)
{
    private int drawn;
    private string? last;

    /// <summary>Shows <paramref name="lines"/>; <paramref name="clock"/> ticks beside them without counting as a change.</summary>
    public void Show(IReadOnlyList<string> lines, string clock)
    {
        var picture = string.Join('\n', lines);
        if (!redraw)
        {
            if (picture != last)
            {
                output.WriteLine($"[{clock}] " + string.Join("  |  ", lines.Select(l => l.Trim())));
            }

            last = picture;
            return;
        }

        lines = [$"{lines[0]}   {clock}", .. lines.Skip(1)];

        if (drawn > 0)
        {
            output.Write($"\u001b[{drawn}F\u001b[J"); // back to the block's first line, clear to the end
        }

        foreach (var line in lines)
        {
            output.WriteLine(line);
        }

        drawn = lines.Count;
    }

    /// <summary>A line above the block, which is then drawn afresh below it.</summary>
    public void Say(string line)
    {
        if (redraw && drawn > 0)
        {
            output.Write($"\u001b[{drawn}F\u001b[J");
        }

        output.WriteLine(line);
        drawn = 0;
        last = null;
    }
}
