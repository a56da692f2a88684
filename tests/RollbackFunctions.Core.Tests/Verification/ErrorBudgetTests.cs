using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Testing;

namespace RollbackFunctions.Core.Tests.Verification;

/// <summary>The error budget an incident consumed, for the rollback report (issue 16, "SLO burn rate").</summary>
public sealed class ErrorBudgetTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 3, 0, 0, TimeSpan.Zero);

    private static readonly ConditionCheck Budget = new()
    {
        Name = "budget",
        BurnRate = new BurnRateCheck { Objective = 0.999, Good = "sum(rate(ok[$window]))", Total = "sum(rate(all[$window]))" },
    };

    [Fact]
    public async Task SpentAsync_OnePercentErrorsForAnHour_IsTenTimesTheBudgetRate_For1Point39PercentOfThirtyDays()
    {
        var source = new AnsweringSource(query => query.StartsWith("sum(rate(ok", StringComparison.Ordinal) ? 99 : 100);
        var clock = new FixedClock(Start.AddHours(1).AddMinutes(2));

        var spent = Assert.Single(await new ErrorBudget([source], clock).SpentAsync([Budget, new ConditionCheck { Name = "p99", Query = "x", UnhealthyAbove = 1 }], Start, Start.AddHours(1), default));

        Assert.Equal(0.01, spent.ErrorRatio!.Value, 9);
        Assert.Equal(10 * 1 / (30 * 24.0), spent.Spent!.Value, 9);
        Assert.Contains("1.3889 % of a 30-day error budget", spent.Detail);
        // The window is the incident, shifted back to end when it ended.
        Assert.Equal(["sum(rate(ok[3600s] offset 120s))", "sum(rate(all[3600s] offset 120s))"], source.Queries);
    }

    [Fact]
    public async Task SpentAsync_NoTraffic_SaysItCouldNotBeMeasured()
    {
        var spent = Assert.Single(await new ErrorBudget([new AnsweringSource(_ => null)], new FixedClock(Start)).SpentAsync([Budget], Start.AddHours(-1), Start, default));

        Assert.Null(spent.Spent);
        Assert.Contains("could not be measured: no requests in the window", spent.Detail);
    }

    /// <summary>The impact figures' "error budget consumed" is what the rollback's end measured and stored on its head.</summary>
    [Fact]
    public async Task CompleteRollback_WithABurnRateCheck_StoresTheBudgetTheIncidentConsumedOnTheHead()
    {
        var (rollbacks, complete) = await EndingAsync(new AnsweringSource(query => query.StartsWith("sum(rate(ok", StringComparison.Ordinal) ? 99 : 100));

        await complete();

        var head = (await rollbacks.GetAsync("rb-d1", default))!;
        Assert.Equal(RollbackPhase.Succeeded, head.Phase);
        Assert.Equal(10 * 1 / (30 * 24.0), head.BudgetSpent!.Value, 9); // an hour at ten times the budget rate
    }

    [Fact]
    public async Task CompleteRollback_SourceFails_EndsTheRollbackAndLeavesTheBudgetUnmeasured()
    {
        var (rollbacks, complete) = await EndingAsync(new AnsweringSource(_ => throw new HttpRequestException("prometheus down")));

        await complete();

        var head = (await rollbacks.GetAsync("rb-d1", default))!;
        Assert.Equal(RollbackPhase.Succeeded, head.Phase);
        Assert.Null(head.BudgetSpent);
    }

    private static async Task<(InMemoryRollbackStore Rollbacks, Func<Task> Complete)> EndingAsync(IMetricSource source)
    {
        var deploys = new InMemoryDeployStore();
        var rollbacks = new InMemoryRollbackStore();
        var clock = new FixedClock(Start.AddHours(1));
        await deploys.AddAsync(DeployBuilder.Record(id: "d1", registeredAt: Start) with { Conditions = new RollbackConditions { Checks = [Budget] } }, default);
        await rollbacks.TryClaimAsync(new RollbackRecord { RollbackId = "rb-d1", DeployId = "d1", Phase = RollbackPhase.Verifying, Trigger = new RollbackTrigger("alert", "system", "alert", []), ClaimedAt = Start }, default);
        var activity = new CompleteRollbackActivity(deploys, rollbacks, new InMemoryQuarantineStore(), new InMemoryAuditLog(), clock, new ErrorBudget([source], clock));
        return (rollbacks, () => activity.ExecuteAsync(new CompletionRequest("rb-d1", "d1", RollbackPhase.Succeeded, "reverted", new Dictionary<string, Core.Deploys.StepStatus>()), default));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class AnsweringSource(Func<string, double?> answer) : IMetricSource
    {
        public List<string> Queries { get; } = [];

        public string Name => "prometheus";

        public Task<MetricQueryResult> QueryAsync(string query, CancellationToken cancellationToken)
        {
            Queries.Add(query);
            return Task.FromResult(answer(query) is { } value
                ? new MetricQueryResult([new MetricSample(new Dictionary<string, string>(), value)], null)
                : new MetricQueryResult([], null));
        }
    }
}
