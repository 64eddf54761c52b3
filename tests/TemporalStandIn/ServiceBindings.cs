using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Api.TestService.V1;
using Temporalio.Api.WorkflowService.V1;

namespace AbandonedCart.TemporalStandIn;

/// <summary>Method descriptors built from the message classes the Temporalio package carries (no proto files).</summary>
internal static class Rpc
{
    public static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string service, string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        new(MethodType.Unary, service, name, Marshal<TRequest>(), Marshal<TResponse>());

    public static RpcException Unimplemented(string name) => new(new Status(StatusCode.Unimplemented, $"{name} is not implemented by the in-process stand-in"));

    private static Marshaller<T> Marshal<T>()
        where T : class, IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom);
    }
}

/// <summary>
/// <c>temporal.api.workflowservice.v1.WorkflowService</c>, bound by hand. Every call the stand-in serves is listed;
/// the rest answer Unimplemented as gRPC does for an unknown method.
/// </summary>
[BindServiceMethod(typeof(WorkflowServiceBase), nameof(BindService))]
public abstract class WorkflowServiceBase
{
    public const string ServiceName = "temporal.api.workflowservice.v1.WorkflowService";

    public static void BindService(ServiceBinderBase binder, WorkflowServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        Add<GetSystemInfoRequest, GetSystemInfoResponse>(binder, nameof(GetSystemInfo));
        Add<DescribeNamespaceRequest, DescribeNamespaceResponse>(binder, nameof(DescribeNamespace));
        Add<StartWorkflowExecutionRequest, StartWorkflowExecutionResponse>(binder, nameof(StartWorkflowExecution));
        Add<SignalWithStartWorkflowExecutionRequest, SignalWithStartWorkflowExecutionResponse>(binder, nameof(SignalWithStartWorkflowExecution));
        Add<SignalWorkflowExecutionRequest, SignalWorkflowExecutionResponse>(binder, nameof(SignalWorkflowExecution));
        Add<QueryWorkflowRequest, QueryWorkflowResponse>(binder, nameof(QueryWorkflow));
        Add<TerminateWorkflowExecutionRequest, TerminateWorkflowExecutionResponse>(binder, nameof(TerminateWorkflowExecution));
        Add<RequestCancelWorkflowExecutionRequest, RequestCancelWorkflowExecutionResponse>(binder, nameof(RequestCancelWorkflowExecution));
        Add<DescribeWorkflowExecutionRequest, DescribeWorkflowExecutionResponse>(binder, nameof(DescribeWorkflowExecution));
        Add<GetWorkflowExecutionHistoryRequest, GetWorkflowExecutionHistoryResponse>(binder, nameof(GetWorkflowExecutionHistory));
        Add<ListWorkflowExecutionsRequest, ListWorkflowExecutionsResponse>(binder, nameof(ListWorkflowExecutions));
        Add<CountWorkflowExecutionsRequest, CountWorkflowExecutionsResponse>(binder, nameof(CountWorkflowExecutions));
        Add<PollWorkflowTaskQueueRequest, PollWorkflowTaskQueueResponse>(binder, nameof(PollWorkflowTaskQueue));
        Add<RespondWorkflowTaskCompletedRequest, RespondWorkflowTaskCompletedResponse>(binder, nameof(RespondWorkflowTaskCompleted));
        Add<RespondWorkflowTaskFailedRequest, RespondWorkflowTaskFailedResponse>(binder, nameof(RespondWorkflowTaskFailed));
        Add<RespondQueryTaskCompletedRequest, RespondQueryTaskCompletedResponse>(binder, nameof(RespondQueryTaskCompleted));
        Add<PollActivityTaskQueueRequest, PollActivityTaskQueueResponse>(binder, nameof(PollActivityTaskQueue));
        Add<RecordActivityTaskHeartbeatRequest, RecordActivityTaskHeartbeatResponse>(binder, nameof(RecordActivityTaskHeartbeat));
        Add<RespondActivityTaskCompletedRequest, RespondActivityTaskCompletedResponse>(binder, nameof(RespondActivityTaskCompleted));
        Add<RespondActivityTaskFailedRequest, RespondActivityTaskFailedResponse>(binder, nameof(RespondActivityTaskFailed));
        Add<RespondActivityTaskCanceledRequest, RespondActivityTaskCanceledResponse>(binder, nameof(RespondActivityTaskCanceled));
        Add<ShutdownWorkerRequest, ShutdownWorkerResponse>(binder, nameof(ShutdownWorker));
        Add<ResetStickyTaskQueueRequest, ResetStickyTaskQueueResponse>(binder, nameof(ResetStickyTaskQueue));
    }

    public virtual Task<GetSystemInfoResponse> GetSystemInfo(GetSystemInfoRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(GetSystemInfo));

    public virtual Task<DescribeNamespaceResponse> DescribeNamespace(DescribeNamespaceRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(DescribeNamespace));

    public virtual Task<StartWorkflowExecutionResponse> StartWorkflowExecution(StartWorkflowExecutionRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(StartWorkflowExecution));

    public virtual Task<SignalWithStartWorkflowExecutionResponse> SignalWithStartWorkflowExecution(SignalWithStartWorkflowExecutionRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(SignalWithStartWorkflowExecution));

    public virtual Task<SignalWorkflowExecutionResponse> SignalWorkflowExecution(SignalWorkflowExecutionRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(SignalWorkflowExecution));

    public virtual Task<QueryWorkflowResponse> QueryWorkflow(QueryWorkflowRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(QueryWorkflow));

    public virtual Task<TerminateWorkflowExecutionResponse> TerminateWorkflowExecution(TerminateWorkflowExecutionRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(TerminateWorkflowExecution));

    public virtual Task<RequestCancelWorkflowExecutionResponse> RequestCancelWorkflowExecution(RequestCancelWorkflowExecutionRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(RequestCancelWorkflowExecution));

    public virtual Task<DescribeWorkflowExecutionResponse> DescribeWorkflowExecution(DescribeWorkflowExecutionRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(DescribeWorkflowExecution));

    public virtual Task<GetWorkflowExecutionHistoryResponse> GetWorkflowExecutionHistory(GetWorkflowExecutionHistoryRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(GetWorkflowExecutionHistory));

    public virtual Task<ListWorkflowExecutionsResponse> ListWorkflowExecutions(ListWorkflowExecutionsRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(ListWorkflowExecutions));

    public virtual Task<CountWorkflowExecutionsResponse> CountWorkflowExecutions(CountWorkflowExecutionsRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(CountWorkflowExecutions));

    public virtual Task<PollWorkflowTaskQueueResponse> PollWorkflowTaskQueue(PollWorkflowTaskQueueRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(PollWorkflowTaskQueue));

    public virtual Task<RespondWorkflowTaskCompletedResponse> RespondWorkflowTaskCompleted(RespondWorkflowTaskCompletedRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(RespondWorkflowTaskCompleted));

    public virtual Task<RespondWorkflowTaskFailedResponse> RespondWorkflowTaskFailed(RespondWorkflowTaskFailedRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(RespondWorkflowTaskFailed));

    public virtual Task<RespondQueryTaskCompletedResponse> RespondQueryTaskCompleted(RespondQueryTaskCompletedRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(RespondQueryTaskCompleted));

    public virtual Task<PollActivityTaskQueueResponse> PollActivityTaskQueue(PollActivityTaskQueueRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(PollActivityTaskQueue));

    public virtual Task<RecordActivityTaskHeartbeatResponse> RecordActivityTaskHeartbeat(RecordActivityTaskHeartbeatRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(RecordActivityTaskHeartbeat));

    public virtual Task<RespondActivityTaskCompletedResponse> RespondActivityTaskCompleted(RespondActivityTaskCompletedRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(RespondActivityTaskCompleted));

    public virtual Task<RespondActivityTaskFailedResponse> RespondActivityTaskFailed(RespondActivityTaskFailedRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(RespondActivityTaskFailed));

    public virtual Task<RespondActivityTaskCanceledResponse> RespondActivityTaskCanceled(RespondActivityTaskCanceledRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(RespondActivityTaskCanceled));

    public virtual Task<ShutdownWorkerResponse> ShutdownWorker(ShutdownWorkerRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(ShutdownWorker));

    public virtual Task<ResetStickyTaskQueueResponse> ResetStickyTaskQueue(ResetStickyTaskQueueRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(ResetStickyTaskQueue));

    private static void Add<TRequest, TResponse>(ServiceBinderBase binder, string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        binder.AddMethod(Rpc.Unary<TRequest, TResponse>(ServiceName, name), (UnaryServerMethod<TRequest, TResponse>?)null);
}

/// <summary><c>temporal.api.testservice.v1.TestService</c>: the virtual clock behind time skipping.</summary>
[BindServiceMethod(typeof(TestServiceBase), nameof(BindService))]
public abstract class TestServiceBase
{
    public const string ServiceName = "temporal.api.testservice.v1.TestService";

    public static void BindService(ServiceBinderBase binder, TestServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        Add<LockTimeSkippingRequest, LockTimeSkippingResponse>(binder, nameof(LockTimeSkipping));
        Add<UnlockTimeSkippingRequest, UnlockTimeSkippingResponse>(binder, nameof(UnlockTimeSkipping));
        Add<SleepRequest, SleepResponse>(binder, nameof(Sleep));
        Add<SleepUntilRequest, SleepResponse>(binder, nameof(SleepUntil));
        Add<SleepRequest, SleepResponse>(binder, nameof(UnlockTimeSkippingWithSleep));
        Add<Empty, GetCurrentTimeResponse>(binder, nameof(GetCurrentTime));
    }

    public virtual Task<LockTimeSkippingResponse> LockTimeSkipping(LockTimeSkippingRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(LockTimeSkipping));

    public virtual Task<UnlockTimeSkippingResponse> UnlockTimeSkipping(UnlockTimeSkippingRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(UnlockTimeSkipping));

    public virtual Task<SleepResponse> Sleep(SleepRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(Sleep));

    public virtual Task<SleepResponse> SleepUntil(SleepUntilRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(SleepUntil));

    public virtual Task<SleepResponse> UnlockTimeSkippingWithSleep(SleepRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(UnlockTimeSkippingWithSleep));

    public virtual Task<GetCurrentTimeResponse> GetCurrentTime(Empty request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(GetCurrentTime));

    private static void Add<TRequest, TResponse>(ServiceBinderBase binder, string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        binder.AddMethod(Rpc.Unary<TRequest, TResponse>(ServiceName, name), (UnaryServerMethod<TRequest, TResponse>?)null);
}

/// <summary><c>temporal.api.operatorservice.v1.OperatorService</c>: search-attribute registration only.</summary>
[BindServiceMethod(typeof(OperatorServiceBase), nameof(BindService))]
public abstract class OperatorServiceBase
{
    public const string ServiceName = "temporal.api.operatorservice.v1.OperatorService";

    public static void BindService(ServiceBinderBase binder, OperatorServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(Rpc.Unary<AddSearchAttributesRequest, AddSearchAttributesResponse>(ServiceName, nameof(AddSearchAttributes)), (UnaryServerMethod<AddSearchAttributesRequest, AddSearchAttributesResponse>?)null);
        binder.AddMethod(Rpc.Unary<ListSearchAttributesRequest, ListSearchAttributesResponse>(ServiceName, nameof(ListSearchAttributes)), (UnaryServerMethod<ListSearchAttributesRequest, ListSearchAttributesResponse>?)null);
    }

    public virtual Task<AddSearchAttributesResponse> AddSearchAttributes(AddSearchAttributesRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(AddSearchAttributes));

    public virtual Task<ListSearchAttributesResponse> ListSearchAttributes(ListSearchAttributesRequest request, ServerCallContext context) => throw Rpc.Unimplemented(nameof(ListSearchAttributes));
}
