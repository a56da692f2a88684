namespace RollbackFunctions.Testing;

/// <summary>
/// The one way tests wait for something asynchronous: poll until it holds, or fail with a message
/// that says what never happened. Never a timed assertion: the timeout only bounds a hang.
/// </summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="probe"/> until it returns a value, and returns that value.</summary>
    public static async Task<T> ReturnsAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, Func<string> whatNeverHappened, TimeSpan? every = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{whatNeverHappened()} (waited {timeout})");
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds.</summary>
    public static Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> whatNeverHappened, TimeSpan? every = null) =>
        ReturnsAsync(async () => await condition() ? Holds : null, timeout, whatNeverHappened, every);

    private static readonly object Holds = new();
}
