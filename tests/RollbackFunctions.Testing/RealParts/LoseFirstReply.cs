using Azure.Core;
using Azure.Core.Pipeline;

namespace RollbackFunctions.Testing;

/// <summary>
/// Lets a storage request reach the server and then loses its reply, once per condition: what a
/// timeout on a loaded account looks like to the client, which then retries a write that landed.
/// </summary>
public sealed class LoseFirstReply(params Func<Request, bool>[] conditions) : HttpPipelinePolicy
{
    private readonly bool[] spent = new bool[conditions.Length];
    private int lost;

    /// <summary>How many replies were lost.</summary>
    public int Lost => Volatile.Read(ref lost);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        for (var i = 0; i < conditions.Length; i++)
        {
            lock (spent)
            {
                if (spent[i] || !conditions[i](message.Request))
                {
                    continue;
                }

                spent[i] = true;
            }

            Interlocked.Increment(ref lost);
            throw new IOException($"the reply to {message.Request.Method} {message.Request.Uri} was lost (test fault)");
        }
    }
}
