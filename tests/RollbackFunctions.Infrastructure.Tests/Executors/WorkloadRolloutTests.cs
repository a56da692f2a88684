using System.Text.Json;
using System.Text.Json.Nodes;
using RollbackFunctions.Infrastructure.Executors.Kubernetes;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>
/// <see cref="WorkloadRollout"/> against kubectl's own rules (pkg/polymorphichelpers/rollout_status.go),
/// on the status documents the API server returns for each kind and update strategy.
/// </summary>
public sealed class WorkloadRolloutTests
{
    private static KubeObject Workload(string json) => JsonSerializer.Deserialize<KubeObject>(json)!;

    [Fact]
    public void Of_PartitionedStatefulSet_IsDoneOnceThePodsAboveThePartitionAreUpdatedAndAllReady()
    {
        var sts = Workload("""
            {"metadata":{"name":"db","generation":4},
             "spec":{"replicas":5,"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":3}}},
             "status":{"observedGeneration":4,"replicas":5,"readyReplicas":5,"updatedReplicas":2,"currentRevision":"db-1","updateRevision":"db-2"}}
            """);

        Assert.True(WorkloadRollout.Of(KubeResource.StatefulSet, sts).Done);
    }

    [Fact]
    public void Of_PartitionedStatefulSet_BelowThePartitionCount_IsNotDone()
    {
        var sts = Workload("""
            {"metadata":{"name":"db","generation":4},
             "spec":{"replicas":5,"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":3}}},
             "status":{"observedGeneration":4,"replicas":5,"readyReplicas":5,"updatedReplicas":1,"currentRevision":"db-1","updateRevision":"db-2"}}
            """);

        var progress = WorkloadRollout.Of(KubeResource.StatefulSet, sts);

        Assert.False(progress.Done);
        Assert.Contains("1 out of 2", progress.Detail);
    }

    [Fact]
    public void Of_StatefulSetWithPodsNotReady_IsNotDone_WhateverItsRevisions()
    {
        var sts = Workload("""
            {"metadata":{"name":"db","generation":4},
             "spec":{"replicas":3,"updateStrategy":{"type":"RollingUpdate"}},
             "status":{"observedGeneration":4,"replicas":3,"readyReplicas":2,"updatedReplicas":3,"currentRevision":"db-2","updateRevision":"db-2"}}
            """);

        Assert.False(WorkloadRollout.Of(KubeResource.StatefulSet, sts).Done);
    }

    [Fact]
    public void Of_OnDeleteDaemonSet_IsDone_SayingItsPodsChangeOnlyWhenDeleted()
    {
        var ds = Workload("""
            {"metadata":{"name":"agent","generation":2},
             "spec":{"updateStrategy":{"type":"OnDelete"}},
             "status":{"observedGeneration":2,"desiredNumberScheduled":3,"updatedNumberScheduled":0,"numberAvailable":3}}
            """);

        var progress = WorkloadRollout.Of(KubeResource.DaemonSet, ds);

        Assert.True(progress.Done);
        Assert.Contains("OnDelete", progress.Detail);
    }

    [Fact]
    public void Of_StatefulSetNeverObserved_IsNotDone()
    {
        var sts = Workload("""
            {"metadata":{"name":"db","generation":1},"spec":{"replicas":1},"status":{"replicas":1,"readyReplicas":1,"updatedReplicas":1}}
            """);

        Assert.False(WorkloadRollout.Of(KubeResource.StatefulSet, sts).Done);
    }
}
