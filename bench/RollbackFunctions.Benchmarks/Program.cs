// The benchmark program: each mode measures one figure of docs/benchmarks.md on the local runtime
// over its own Azurite, prints its detail and the figure; "report" runs them all and prints the
// table against the targets. Not a test: nothing here asserts a time.
//
// Usage: dotnet run -c Release --project bench/RollbackFunctions.Benchmarks -- <mode> [arguments]
//   first-revert [idleSeconds=60] [runs=20]   alert -> page, first revert, verified, after idle
//   intake [requests=3000] [concurrency=32]    re-sent alerts/s and latency beside GET /api/health; memory
//   dag [steps=50] [levels=10] [runs=3]        reverse-DAG overhead of no-op steps, and the engine floor beside it
//   lookup [deploys=100000] [services=1000]    correlation lookup with that many deploys stored
//   crash [runs=5]                             kill -9 mid-revert -> resumed, default settings
//   restart [runs=5]                           graceful stop (SIGTERM), start, alert -> page and first revert
//   breach [runs=5] [watchIntervalSeconds=5]   metric breach -> first revert through the watcher (Prometheus)
//   watch [deploys=500] [seconds=120] [intervalSeconds=15] [breachRuns=5]
//                                              breach -> first revert at 5 s and 1 s; lag and storage cost of many watched deploys
//   report                                     every figure above with the defaults, as one table
using System.Globalization;

var mode = args.FirstOrDefault() ?? "report";
int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

var figures = mode switch
{
    "first-revert" => await FirstRevertBenchmark.RunAsync(TimeSpan.FromSeconds(Arg(1, 60)), Arg(2, 20)),
    "intake" => await IntakeBenchmark.RunAsync(Arg(1, 3000), Arg(2, 32)),
    "dag" => await DagBenchmark.RunAsync(Arg(1, 50), Arg(2, 10), Arg(3, 3)),
    "lookup" => await LookupBenchmark.RunAsync(Arg(1, 100_000), Arg(2, 1000)),
    "crash" => await CrashBenchmark.RunAsync(Arg(1, 5)),
    "restart" => await RestartBenchmark.RunAsync(Arg(1, 5)),
    "breach" => await BreachBenchmark.RunAsync(Arg(1, 5), Arg(2, 5)),
    "watch" => await WatchBenchmark.RunAsync(Arg(1, 500), Arg(2, 120), Arg(3, 15), Arg(4, 5)),
    "report" => await ReportAsync(),
    _ => throw new ArgumentException($"unknown mode '{mode}': first-revert, intake, dag, lookup, crash, restart, breach, watch or report"),
};

Console.WriteLine();
Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}");
Figure.PrintTable(figures);
return;

static async Task<IReadOnlyList<Figure>> ReportAsync()
{
    var all = new List<Figure>();
    all.AddRange(await FirstRevertBenchmark.RunAsync(TimeSpan.FromSeconds(60), 20));
    all.AddRange(await IntakeBenchmark.RunAsync(3000, 32));
    all.AddRange(await DagBenchmark.RunAsync(50, 10, 3));
    all.AddRange(await LookupBenchmark.RunAsync(100_000, 1000));
    all.AddRange(await CrashBenchmark.RunAsync(5));
    all.AddRange(await RestartBenchmark.RunAsync(5));
    return all;
}
