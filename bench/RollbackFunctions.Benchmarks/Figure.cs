using System.Globalization;

/// <summary>One figure of the benchmark report: what was measured, against which target.</summary>
internal sealed record Figure(string Name, string Measured, string Target, bool Met, string? Note = null)
{
    public static string Ms(double milliseconds) => string.Create(CultureInfo.InvariantCulture, $"{milliseconds:0} ms");

    /// <summary>The p-th percentile (0-100) of <paramref name="values"/>, nearest rank.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    public static void PrintTable(IEnumerable<Figure> figures)
    {
        Console.WriteLine("| figure | measured | target | met |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var figure in figures)
        {
            Console.WriteLine($"| {figure.Name} | {figure.Measured} | {figure.Target} | {(figure.Met ? "yes" : "**no**")}{(figure.Note is null ? "" : $": {figure.Note}")} |");
        }
    }
}
