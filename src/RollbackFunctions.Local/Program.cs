using RollbackFunctions.Local;
using RollbackFunctions.Local.Demo;

// `-- demo` runs the fire drill (Demo/FireDrill.cs); anything else is the runtime's own settings.
if (args.FirstOrDefault() == "demo")
{
    return await FireDrill.RunAsync(args[1..]);
}

await using var runtime = await LocalRuntime.BuildAsync(args);
await runtime.App.RunAsync();
return 0;
