using RollbackFunctions.Local;

await using var runtime = await LocalRuntime.BuildAsync(args);
await runtime.App.RunAsync();
