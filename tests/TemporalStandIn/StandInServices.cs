using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Namespace.V1;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Api.TestService.V1;
using Temporalio.Api.WorkflowService.V1;

namespace AbandonedCart.TemporalStandIn;

internal sealed class StandInWorkflowService(StandInEngine engine) : WorkflowServiceBase
{
    public override Task<GetSystemInfoResponse> GetSystemInfo(GetSystemInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new GetSystemInfoResponse
        {
            ServerVersion = "1.0.0-abandoned-cart-stand-in",
            Capabilities = new()
            {
                SignalAndQueryHeader = true,
                InternalErrorDifferentiation = true,
                ActivityFailureIncludeHeartbeat = true,
                SupportsSchedules = false,
                EncodedFailureAttributes = true,
                UpsertMemo = true,
                SdkMetadata = true,
                CountGroupByExecutionStatus = false,
                EagerWorkflowStart = false,
                BuildIdBasedVersioning = false,
            },
        });

    public override Task<DescribeNamespaceResponse> DescribeNamespace(DescribeNamespaceRequest request, ServerCallContext context) =>
        Task.FromResult(new DescribeNamespaceResponse
        {
            NamespaceInfo = new NamespaceInfo
            {
                Name = string.IsNullOrEmpty(request.Namespace) ? engine.Options.Namespace : request.Namespace,
                Id = "00000000-0000-0000-0000-000000000001",
                State = NamespaceState.Registered,
                Capabilities = new() { SyncUpdate = false, AsyncUpdate = false, EagerWorkflowStart = false },
            },
            Config = new() { WorkflowExecutionRetentionTtl = Duration.FromTimeSpan(TimeSpan.FromDays(1)) },
        });

    public override Task<StartWorkflowExecutionResponse> StartWorkflowExecution(StartWorkflowExecutionRequest request, ServerCallContext context) =>
        Task.FromResult(engine.StartWorkflowExecution(request));

    public override Task<SignalWithStartWorkflowExecutionResponse> SignalWithStartWorkflowExecution(SignalWithStartWorkflowExecutionRequest request, ServerCallContext context) =>
        Task.FromResult(engine.SignalWithStartWorkflowExecution(request));

    public override Task<SignalWorkflowExecutionResponse> SignalWorkflowExecution(SignalWorkflowExecutionRequest request, ServerCallContext context)
    {
        engine.SignalWorkflowExecution(request);
        return Task.FromResult(new SignalWorkflowExecutionResponse());
    }

    public override Task<QueryWorkflowResponse> QueryWorkflow(QueryWorkflowRequest request, ServerCallContext context) =>
        engine.QueryWorkflow(request, context.CancellationToken);

    public override Task<TerminateWorkflowExecutionResponse> TerminateWorkflowExecution(TerminateWorkflowExecutionRequest request, ServerCallContext context)
    {
        engine.TerminateWorkflowExecution(request);
        return Task.FromResult(new TerminateWorkflowExecutionResponse());
    }

    public override Task<RequestCancelWorkflowExecutionResponse> RequestCancelWorkflowExecution(RequestCancelWorkflowExecutionRequest request, ServerCallContext context)
    {
        engine.RequestCancelWorkflowExecution(request);
        return Task.FromResult(new RequestCancelWorkflowExecutionResponse());
    }

    public override Task<DescribeWorkflowExecutionResponse> DescribeWorkflowExecution(DescribeWorkflowExecutionRequest request, ServerCallContext context) =>
        Task.FromResult(engine.DescribeWorkflowExecution(request));

    public override Task<GetWorkflowExecutionHistoryResponse> GetWorkflowExecutionHistory(GetWorkflowExecutionHistoryRequest request, ServerCallContext context) =>
        engine.GetWorkflowExecutionHistory(request, context.CancellationToken);

    public override Task<ListWorkflowExecutionsResponse> ListWorkflowExecutions(ListWorkflowExecutionsRequest request, ServerCallContext context) =>
        Task.FromResult(engine.ListWorkflowExecutions(request));

    public override Task<CountWorkflowExecutionsResponse> CountWorkflowExecutions(CountWorkflowExecutionsRequest request, ServerCallContext context) =>
        Task.FromResult(engine.CountWorkflowExecutions(request));

    public override Task<PollWorkflowTaskQueueResponse> PollWorkflowTaskQueue(PollWorkflowTaskQueueRequest request, ServerCallContext context) =>
        engine.PollWorkflowTaskQueue(request, context.CancellationToken);

    public override Task<RespondWorkflowTaskCompletedResponse> RespondWorkflowTaskCompleted(RespondWorkflowTaskCompletedRequest request, ServerCallContext context) =>
        Task.FromResult(engine.RespondWorkflowTaskCompleted(request));

    public override Task<RespondWorkflowTaskFailedResponse> RespondWorkflowTaskFailed(RespondWorkflowTaskFailedRequest request, ServerCallContext context) =>
        Task.FromResult(engine.RespondWorkflowTaskFailed(request));

    public override Task<RespondQueryTaskCompletedResponse> RespondQueryTaskCompleted(RespondQueryTaskCompletedRequest request, ServerCallContext context)
    {
        engine.RespondQueryTaskCompleted(request);
        return Task.FromResult(new RespondQueryTaskCompletedResponse());
    }

    public override Task<PollActivityTaskQueueResponse> PollActivityTaskQueue(PollActivityTaskQueueRequest request, ServerCallContext context) =>
        engine.PollActivityTaskQueue(request, context.CancellationToken);

    public override Task<RecordActivityTaskHeartbeatResponse> RecordActivityTaskHeartbeat(RecordActivityTaskHeartbeatRequest request, ServerCallContext context) =>
        Task.FromResult(engine.RecordActivityTaskHeartbeat(request));

    public override Task<RespondActivityTaskCompletedResponse> RespondActivityTaskCompleted(RespondActivityTaskCompletedRequest request, ServerCallContext context)
    {
        engine.CompleteActivity(request.TaskToken, request.Result, request.Identity);
        return Task.FromResult(new RespondActivityTaskCompletedResponse());
    }

    public override Task<RespondActivityTaskFailedResponse> RespondActivityTaskFailed(RespondActivityTaskFailedRequest request, ServerCallContext context)
    {
        engine.FailActivity(request.TaskToken, request.Failure, request.Identity, request.LastHeartbeatDetails);
        return Task.FromResult(new RespondActivityTaskFailedResponse());
    }

    public override Task<RespondActivityTaskCanceledResponse> RespondActivityTaskCanceled(RespondActivityTaskCanceledRequest request, ServerCallContext context)
    {
        engine.CancelActivity(request.TaskToken, request.Details, request.Identity);
        return Task.FromResult(new RespondActivityTaskCanceledResponse());
    }

    public override Task<ShutdownWorkerResponse> ShutdownWorker(ShutdownWorkerRequest request, ServerCallContext context)
    {
        engine.ShutdownWorker(request);
        return Task.FromResult(new ShutdownWorkerResponse());
    }

    public override Task<ResetStickyTaskQueueResponse> ResetStickyTaskQueue(ResetStickyTaskQueueRequest request, ServerCallContext context)
    {
        engine.ResetStickyTaskQueue(request);
        return Task.FromResult(new ResetStickyTaskQueueResponse());
    }
}

internal sealed class StandInTestService(StandInEngine engine) : TestServiceBase
{
    public override Task<LockTimeSkippingResponse> LockTimeSkipping(LockTimeSkippingRequest request, ServerCallContext context)
    {
        engine.Clock.Lock();
        return Task.FromResult(new LockTimeSkippingResponse());
    }

    public override Task<UnlockTimeSkippingResponse> UnlockTimeSkipping(UnlockTimeSkippingRequest request, ServerCallContext context)
    {
        Unlock();
        return Task.FromResult(new UnlockTimeSkippingResponse());
    }

    public override async Task<SleepResponse> Sleep(SleepRequest request, ServerCallContext context)
    {
        await engine.Clock.WhenAsync(engine.Clock.Now + request.Duration.ToTimeSpan(), context.CancellationToken);
        return new SleepResponse();
    }

    public override async Task<SleepResponse> SleepUntil(SleepUntilRequest request, ServerCallContext context)
    {
        await engine.Clock.WhenAsync(request.Timestamp.ToDateTime(), context.CancellationToken);
        return new SleepResponse();
    }

    public override async Task<SleepResponse> UnlockTimeSkippingWithSleep(SleepRequest request, ServerCallContext context)
    {
        // The timer takes the lock back itself, before the clock can skip past it to a later timer.
        var clock = engine.Clock;
        var relocked = 0;
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timer = clock.After(request.Duration.ToTimeSpan(), () =>
        {
            if (Interlocked.Exchange(ref relocked, 1) == 0)
            {
                clock.Lock();
            }

            reached.TrySetResult();
        });
        Unlock();
        using var registration = context.CancellationToken.Register(() =>
        {
            timer.Cancel();
            if (Interlocked.Exchange(ref relocked, 1) == 0)
            {
                clock.Lock();
            }

            reached.TrySetCanceled();
        });
        await reached.Task;
        return new SleepResponse();
    }

    public override Task<GetCurrentTimeResponse> GetCurrentTime(Empty request, ServerCallContext context) =>
        Task.FromResult(new GetCurrentTimeResponse { Time = Timestamp.FromDateTime(engine.Clock.Now) });

    private void Unlock()
    {
        try
        {
            engine.Clock.Unlock();
        }
        catch (InvalidOperationException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }
    }
}

internal sealed class StandInOperatorService(StandInEngine engine) : OperatorServiceBase
{
    public override Task<AddSearchAttributesResponse> AddSearchAttributes(AddSearchAttributesRequest request, ServerCallContext context)
    {
        lock (engine.SearchAttributeTypes)
        {
            foreach (var (name, type) in request.SearchAttributes)
            {
                engine.SearchAttributeTypes[name] = type;
            }
        }

        return Task.FromResult(new AddSearchAttributesResponse());
    }

    public override Task<ListSearchAttributesResponse> ListSearchAttributes(ListSearchAttributesRequest request, ServerCallContext context)
    {
        var response = new ListSearchAttributesResponse();
        lock (engine.SearchAttributeTypes)
        {
            response.CustomAttributes.Add(engine.SearchAttributeTypes);
        }

        return Task.FromResult(response);
    }
}
