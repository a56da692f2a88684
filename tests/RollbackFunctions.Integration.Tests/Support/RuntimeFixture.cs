namespace RollbackFunctions.Integration.Tests.Support;

/// <summary>One in-process runtime and revert receiver per test class.</summary>
public sealed class RuntimeFixture : IAsyncLifetime
{
    private TestRuntime? runtime;
    private LocalReceiver? receiver;

    internal TestRuntime Runtime => runtime ?? throw new InvalidOperationException("the runtime did not start");

    internal LocalReceiver Receiver => receiver ?? throw new InvalidOperationException("the receiver did not start");

    /// <summary>Why the runtime is missing, for the test to skip or fail with.</summary>
    internal string? Missing { get; private set; }

    public async Task InitializeAsync()
    {
        receiver = await LocalReceiver.StartAsync();
        try
        {
            runtime = await TestRuntime.StartAsync();
        }
        catch (SkipException e)
        {
            Missing = e.Message;
        }
    }

    internal TestRuntime Require()
    {
        RealParts.Require(Missing is null, Missing ?? "");
        return Runtime;
    }

    public async Task DisposeAsync()
    {
        if (runtime is not null)
        {
            await runtime.DisposeAsync();
        }

        if (receiver is not null)
        {
            await receiver.DisposeAsync();
        }
    }
}
