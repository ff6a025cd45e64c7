{-# LANGUAGE GeneralizedNewtypeDeriving #-}
-- |
-- Module      : System.Mesos.Types
-- Description : Mesos records used by the scheduler API, with their protobuf encoding
--
-- The records, constructors and field names follow hs-mesos's
-- @System.Mesos.Types@, so programs written against hs-mesos compile unchanged
-- where the APIs overlap. Every record is a 'Message': it can be encoded to and
-- decoded from the protobuf bytes of the corresponding @mesos.*@ / @mesos.v1.*@
-- message (the two are wire-identical).
--
-- Differences from hs-mesos, all additive:
--
-- * Enumerations never fail on numbers they do not know: each has an
--   explicit unknown constructor ('UnknownTaskState', 'UnknownStatus',
--   'UnknownSource', 'UnknownReason'), and 'TaskState' has the states Mesos
--   added after 0.23 ('Killing', 'Error', 'Dropped', 'Unreachable', 'Gone',
--   'GoneByOperator', 'TaskUnknown').
-- * 'Value' has 'UnknownValue' for value types newer than this package.
-- * 'OfferOperation' describes the operations of
--   'System.Mesos.Scheduler.acceptOffers'.
--
-- Decoding skips every field a record does not model, so messages from newer
-- masters decode. Re-encoding a decoded record writes only the modelled fields.
-- Every other field of the public Mesos API stays reachable as raw protobuf:
-- 'RawMessage' decodes any message into its fields, 'withRawFields' adds
-- fields to a record's encoding (e.g. a TaskInfo's @kill_policy@ = 12), and
-- 'OfferOperationRaw' sends such bytes through
-- 'System.Mesos.Scheduler.acceptOffers'.
module System.Mesos.Types (
  -- * Core Framework & Executor types
  -- ** Masters & Slaves
  MasterInfo(..),
  masterInfo,
  SlaveInfo(..),
  slaveInfo,
  -- ** Frameworks & Executors
  ExecutorInfo(..),
  executorInfo,
  FrameworkInfo(..),
  frameworkInfo,
  FrameworkInfoExtras(..),
  noFrameworkInfoExtras,
  FrameworkCapability(..),
  encodeFrameworkInfoWith,
  -- ** Resource allocation
  Offer(..),
  OfferOperation(..),
  Request(..),
  Filters(..),
  filters,
  -- ** Launching Tasks
  TaskInfo(..),
  taskInfo,
  TaskExecutionInfo(..),
  CommandInfo(..),
  commandInfo,
  CommandURI(..),
  commandURI,
  CommandValue(..),
  Value(..),
  Resource(..),
  resource,
  -- ** Task & Executor Status Updates
  Status(..),
  TaskStatus(..),
  TaskStatusSource(..),
  TaskStatusReason(..),
  TaskState(..),
  isTerminal,
  -- ** Identifiers
  FrameworkID(..),
  SlaveID(..),
  OfferID(..),
  TaskID(..),
  ExecutorID(..),
  ContainerID(..),
  -- ** Containerization Support
  ContainerInfo(..),
  Volume(..),
  Mode(..),
  ContainerType(..),
  -- ** Health Checks
  HealthCheck(..),
  HealthCheckStrategy(..),
  -- ** Resource Usage & Performance Statistics
  ResourceStatistics(..),
  ResourceUsage(..),
  ResourceUsageExecutor(..),
  PerformanceStatistics(..),
  TrafficControlStatistics(..),
  -- ** Credentials
  Credential(..),
  credential,
  -- ** Port
  Port(..),
  -- ** Discovery Info
  DiscoveryInfo(..),
  Visibility(..),
  -- * Protobuf encoding
  Message,
  encodeMessage,
  decodeMessage,
  -- ** Fields beyond the records
  RawMessage(..),
  withRawFields,
  WireValue(..)
) where

import           Data.ByteString               (ByteString)
import qualified Data.ByteString.Builder       as B
import           Data.Maybe                    (fromMaybe)
import           Data.String                   (IsString)
import           Data.Tuple                    (swap)
import           Data.Word                     (Word32, Word64)
import           System.Mesos.Internal.Wire

------------------------------------------------------------------------------
-- Enumerations

-- | Describes possible task states. IMPORTANT: Mesos assumes tasks that
-- enter terminal states (see 'isTerminal') imply the task is no longer
-- running and thus clean up any thing associated with the task
-- (ultimately offering any resources being consumed by that task to
-- another task).
data TaskState
  = Staging -- ^ Initial state. Framework status updates should not use.
  | Starting -- ^ The task is being launched by the executor.
  | TaskRunning -- ^ The task is running.
  | Killing -- ^ The task is being killed by the executor.
  | Finished -- ^ TERMINAL: the task finished successfully.
  | Failed -- ^ TERMINAL: the task failed to finish successfully.
  | Killed -- ^ TERMINAL: the task was killed by the executor.
  | Error -- ^ TERMINAL: the task description contains an error.
  | Lost -- ^ TERMINAL: the task failed but can be rescheduled.
  | Dropped -- ^ TERMINAL: the task failed to launch (partition-aware frameworks).
  | Unreachable -- ^ The task was on an agent that is unreachable.
  | Gone -- ^ TERMINAL: the task was on an agent that is gone for good.
  | GoneByOperator -- ^ The task was on an agent an operator marked gone.
  | TaskUnknown -- ^ The master has no knowledge of the task (TASK_UNKNOWN).
  | UnknownTaskState !Int -- ^ A state number this package does not know.
  deriving (Show, Eq)

taskStateCodes :: [(TaskState, Int)]
taskStateCodes =
  [ (Staging, 6), (Starting, 0), (TaskRunning, 1), (Killing, 8), (Finished, 2)
  , (Failed, 3), (Killed, 4), (Error, 7), (Lost, 5), (Dropped, 9), (Unreachable, 10)
  , (Gone, 11), (GoneByOperator, 12), (TaskUnknown, 13) ]

-- | Numbers as in @mesos.proto@; 'toEnum' is total.
instance Enum TaskState where
  fromEnum (UnknownTaskState n) = n
  fromEnum s = fromMaybe (-1) (lookup s taskStateCodes)
  toEnum n = fromMaybe (UnknownTaskState n) (lookup n (map swap taskStateCodes))

-- | Whether a task in this state will never change state again.
isTerminal :: TaskState -> Bool
isTerminal s = s `elem` [Finished, Failed, Killed, Error, Lost, Dropped, Gone, GoneByOperator]

-- | Indicates the state of the scheduler and executor driver
-- after function calls. 'System.Mesos.Scheduler.executorLost' also uses it for
-- an executor's exit status, which is any number: 'UnknownStatus' keeps it.
data Status = NotStarted | Running | Aborted | Stopped
  | UnknownStatus !Int -- ^ A number other than 1 to 4.
  deriving (Show, Eq)

-- | DRIVER_NOT_STARTED = 1 ... DRIVER_STOPPED = 4; 'toEnum' is total.
instance Enum Status where
  fromEnum NotStarted = 1
  fromEnum Running = 2
  fromEnum Aborted = 3
  fromEnum Stopped = 4
  fromEnum (UnknownStatus n) = n
  toEnum 1 = NotStarted
  toEnum 2 = Running
  toEnum 3 = Aborted
  toEnum 4 = Stopped
  toEnum n = UnknownStatus n

-- | Describes the source of the task status update.
data TaskStatusSource = SourceMaster
                      | SourceSlave
                      | SourceExecutor
                      | UnknownSource !Int -- ^ A source number this package does not know.
                      deriving (Show, Eq)

-- | Numbers as in @mesos.proto@; 'toEnum' is total.
instance Enum TaskStatusSource where
  fromEnum SourceMaster = 0
  fromEnum SourceSlave = 1
  fromEnum SourceExecutor = 2
  fromEnum (UnknownSource n) = n
  toEnum 0 = SourceMaster
  toEnum 1 = SourceSlave
  toEnum 2 = SourceExecutor
  toEnum n = UnknownSource n

-- | Detailed reason for the task status update. The names of hs-mesos are
-- kept (including its spellings); later reasons are added.
data TaskStatusReason = ReasonCommandExecutorFailed
                      | ReasonExecutorPreempted -- ^ REASON_CONTAINER_PREEMPTED
                      | ReasonExecutorTerminated
                      | ReasonExecutorUnregistered
                      | ReasonFrameworkRemoved
                      | ReasonGCError
                      | ReasonInvalidFrameworkId
                      | ReasonInvalidOffers
                      | ReasonMasterDisconnected
                      | ReasonMemoryLimit -- ^ REASON_CONTAINER_LIMITATION_MEMORY
                      | ReasonReconcilation -- ^ REASON_RECONCILIATION
                      | ReasonResourcesUnkown -- ^ REASON_RESOURCES_UNKNOWN
                      | ReasonSlaveDisconnected
                      | ReasonSlaveRemoved
                      | ReasonSlaveRestarted
                      | ReasonSlaveUnkown -- ^ REASON_AGENT_UNKNOWN
                      | ReasonTaskInvalid
                      | ReasonTaskUnauthorized
                      | ReasonTaskUnknown
                      | ReasonContainerLaunchFailed
                      | ReasonContainerLimitation
                      | ReasonContainerLimitationDisk
                      | ReasonContainerUpdateFailed
                      | ReasonExecutorRegistrationTimeout
                      | ReasonExecutorReregistrationTimeout
                      | ReasonTaskGroupInvalid
                      | ReasonTaskGroupUnauthorized
                      | ReasonIOSwitchboardExited
                      | ReasonTaskCheckStatusUpdated
                      | ReasonTaskHealthCheckStatusUpdated
                      | ReasonTaskKilledDuringLaunch
                      | ReasonSlaveRemovedByOperator
                      | ReasonSlaveReregistered
                      | ReasonMaxCompletionTimeReached
                      | ReasonSlaveDraining
                      | UnknownReason !Int -- ^ A reason number this package does not know.
                      deriving (Show, Eq)

reasonCodes :: [(TaskStatusReason, Int)]
reasonCodes =
  [ (ReasonCommandExecutorFailed, 0), (ReasonExecutorPreempted, 17)
  , (ReasonExecutorTerminated, 1), (ReasonExecutorUnregistered, 2)
  , (ReasonFrameworkRemoved, 3), (ReasonGCError, 4), (ReasonInvalidFrameworkId, 5)
  , (ReasonInvalidOffers, 6), (ReasonMasterDisconnected, 7), (ReasonMemoryLimit, 8)
  , (ReasonReconcilation, 9), (ReasonResourcesUnkown, 18), (ReasonSlaveDisconnected, 10)
  , (ReasonSlaveRemoved, 11), (ReasonSlaveRestarted, 12), (ReasonSlaveUnkown, 13)
  , (ReasonTaskInvalid, 14), (ReasonTaskUnauthorized, 15), (ReasonTaskUnknown, 16)
  , (ReasonContainerLaunchFailed, 21), (ReasonContainerLimitation, 19)
  , (ReasonContainerLimitationDisk, 20), (ReasonContainerUpdateFailed, 22)
  , (ReasonExecutorRegistrationTimeout, 23), (ReasonExecutorReregistrationTimeout, 24)
  , (ReasonTaskGroupInvalid, 25), (ReasonTaskGroupUnauthorized, 26)
  , (ReasonIOSwitchboardExited, 27), (ReasonTaskCheckStatusUpdated, 28)
  , (ReasonTaskHealthCheckStatusUpdated, 29), (ReasonTaskKilledDuringLaunch, 30)
  , (ReasonSlaveRemovedByOperator, 31), (ReasonSlaveReregistered, 32)
  , (ReasonMaxCompletionTimeReached, 33), (ReasonSlaveDraining, 34) ]

-- | Numbers as in @mesos.proto@; 'toEnum' is total.
instance Enum TaskStatusReason where
  fromEnum (UnknownReason n) = n
  fromEnum r = fromMaybe (-1) (lookup r reasonCodes)
  toEnum n = fromMaybe (UnknownReason n) (lookup n (map swap reasonCodes))

-- | Mount mode of a 'Volume'.
data Mode = ReadWrite -- ^ Mount the volume in R/W mode
          | ReadOnly  -- ^ Mount the volume as read-only
          | UnknownMode !Int -- ^ A mode number this package does not know.
  deriving (Show, Eq)

-- | RW = 1, RO = 2; 'toEnum' is total.
instance Enum Mode where
  fromEnum ReadWrite = 1
  fromEnum ReadOnly = 2
  fromEnum (UnknownMode n) = n
  toEnum 1 = ReadWrite
  toEnum 2 = ReadOnly
  toEnum n = UnknownMode n

-- | Who may discover a service (see 'DiscoveryInfo').
data Visibility = VisibilityFramework
                | VisibilityCluster
                | VisibilityExternal
                | UnknownVisibility !Int -- ^ A visibility number this package does not know.
                deriving (Show, Eq)

-- | FRAMEWORK = 0, CLUSTER = 1, EXTERNAL = 2; 'toEnum' is total.
instance Enum Visibility where
  fromEnum VisibilityFramework = 0
  fromEnum VisibilityCluster = 1
  fromEnum VisibilityExternal = 2
  fromEnum (UnknownVisibility n) = n
  toEnum 0 = VisibilityFramework
  toEnum 1 = VisibilityCluster
  toEnum 2 = VisibilityExternal
  toEnum n = UnknownVisibility n

------------------------------------------------------------------------------
-- Identifiers

-- | A unique ID assigned to a framework. A framework can reuse this ID in order to do failover.
newtype FrameworkID = FrameworkID { frameworkIDId' :: ByteString }
  deriving (Show, Eq, Ord, IsString)

-- | A unique ID assigned to an offer.
newtype OfferID = OfferID { offerIDId' :: ByteString }
  deriving (Show, Eq, Ord, IsString)

-- | A unique ID assigned to a slave (agent). Framework writers shouldn't
-- assume any binding between a slave ID and a hostname.
newtype SlaveID = SlaveID { slaveIDId' :: ByteString }
  deriving (Show, Eq, Ord, IsString)

-- | A framework generated ID to distinguish a task. The ID must remain
-- unique while the task is active. A framework can reuse an ID only once the
-- previous task with it reached a terminal state (see 'isTerminal').
newtype TaskID = TaskID { taskIDId' :: ByteString }
  deriving (Show, Eq, Ord, IsString)

-- | A framework generated ID to distinguish an executor. Only one
-- executor with the same ID can be active on the same slave at a time.
newtype ExecutorID = ExecutorID { executorIDId' :: ByteString }
  deriving (Show, Eq, Ord, IsString)

-- | A slave generated ID to distinguish a container.
newtype ContainerID = ContainerID { containerIDId' :: ByteString }
  deriving (Show, Eq, Ord, IsString)

idFields :: ByteString -> B.Builder
idFields = bytesField 1

decodeId :: (ByteString -> a) -> Fields -> Either String a
decodeId wrap fields = wrap <$> reqBytes "value" 1 fields

-- | @mesos.FrameworkID@
instance Message FrameworkID where
  encodeFields = idFields . frameworkIDId'
  decodeFields = decodeId FrameworkID

-- | @mesos.OfferID@
instance Message OfferID where
  encodeFields = idFields . offerIDId'
  decodeFields = decodeId OfferID

-- | @mesos.SlaveID@ / @mesos.v1.AgentID@
instance Message SlaveID where
  encodeFields = idFields . slaveIDId'
  decodeFields = decodeId SlaveID

-- | @mesos.TaskID@
instance Message TaskID where
  encodeFields = idFields . taskIDId'
  decodeFields = decodeId TaskID

-- | @mesos.ExecutorID@
instance Message ExecutorID where
  encodeFields = idFields . executorIDId'
  decodeFields = decodeId ExecutorID

-- | @mesos.ContainerID@
instance Message ContainerID where
  encodeFields = idFields . containerIDId'
  decodeFields = decodeId ContainerID

------------------------------------------------------------------------------
-- Frameworks and masters

-- | Describes a framework. If the user field is set to an empty string
-- the driver sets it to the current user. Note that the ID is only available
-- after a framework has registered; setting it makes the driver fail over
-- to that framework. 'frameworkInfoFailoverTimeout' is how long the master
-- waits for the scheduler to fail over before removing the framework.
-- If 'frameworkInfoHostname' is an empty string the driver sets it to the
-- current hostname.
data FrameworkInfo = FrameworkInfo
  { frameworkInfoUser            :: !ByteString
  , frameworkInfoName            :: !ByteString
  , frameworkInfoId'             :: !(Maybe FrameworkID)
  , frameworkInfoFailoverTimeout :: !(Maybe Double)
  , frameworkInfoCheckpoint      :: !(Maybe Bool)
  , frameworkInfoRole            :: !(Maybe ByteString)
  , frameworkInfoHostname        :: !(Maybe ByteString)
  , frameworkInfoPrincipal       :: !(Maybe ByteString)
  }
  deriving (Show, Eq)

-- | A 'FrameworkInfo' with a user and a name and nothing else.
frameworkInfo :: ByteString -> ByteString -> FrameworkInfo
frameworkInfo u n = FrameworkInfo u n Nothing Nothing Nothing Nothing Nothing Nothing

-- | @mesos.FrameworkInfo@
instance Message FrameworkInfo where
  encodeFields f =
    bytesField 1 (frameworkInfoUser f)
      <> bytesField 2 (frameworkInfoName f)
      <> optional (messageField 3) (frameworkInfoId' f)
      <> optional (doubleField 4) (frameworkInfoFailoverTimeout f)
      <> optional (boolField 5) (frameworkInfoCheckpoint f)
      <> optional (bytesField 6) (frameworkInfoRole f)
      <> optional (bytesField 7) (frameworkInfoHostname f)
      <> optional (bytesField 8) (frameworkInfoPrincipal f)
  decodeFields fs =
    FrameworkInfo
      <$> (fromMaybe mempty <$> optBytes 1 fs)
      <*> (fromMaybe mempty <$> optBytes 2 fs)
      <*> optMessage 3 fs
      <*> optDouble 4 fs
      <*> optBool 5 fs
      <*> optBytes 6 fs
      <*> optBytes 7 fs
      <*> optBytes 8 fs

-- | What a framework may declare to the master.
data FrameworkCapability
  = RevocableResources
  | TaskKillingState
  | GpuResources
  | SharedResources
  | PartitionAware -- ^ TASK_UNREACHABLE / TASK_DROPPED / TASK_UNKNOWN instead of TASK_LOST.
  | MultiRole -- ^ Use 'extrasRoles' instead of 'frameworkInfoRole'.
  | ReservationRefinement
  | RegionAware
  | UnknownCapability !Int -- ^ By number.
  deriving (Show, Eq)

capabilityCodes :: [(FrameworkCapability, Int)]
capabilityCodes =
  [ (RevocableResources, 1), (TaskKillingState, 2), (GpuResources, 3), (SharedResources, 4)
  , (PartitionAware, 5), (MultiRole, 6), (ReservationRefinement, 7), (RegionAware, 8) ]

-- | Numbers as in @mesos.proto@; 'toEnum' is total.
instance Enum FrameworkCapability where
  fromEnum (UnknownCapability n) = n
  fromEnum c = fromMaybe 0 (lookup c capabilityCodes)
  toEnum n = fromMaybe (UnknownCapability n) (lookup n (map swap capabilityCodes))

-- | @FrameworkInfo@ fields that hs-mesos's 'FrameworkInfo' record has no
-- room for (adding fields to it would break programs that build it
-- positionally). Given to the driver with the framework info (see
-- 'System.Mesos.Scheduler.DriverOptions').
data FrameworkInfoExtras = FrameworkInfoExtras
  { extrasRoles        :: ![ByteString] -- ^ @roles@ (with 'MultiRole').
  , extrasCapabilities :: ![FrameworkCapability] -- ^ @capabilities@.
  , extrasWebUiUrl     :: !(Maybe ByteString) -- ^ @webui_url@.
  , extrasLabels       :: ![(ByteString, Maybe ByteString)] -- ^ @labels@.
  } deriving (Show, Eq)

-- | No extra fields.
noFrameworkInfoExtras :: FrameworkInfoExtras
noFrameworkInfoExtras = FrameworkInfoExtras [] [] Nothing []

-- | Encode a 'FrameworkInfo' together with extra fields: one @FrameworkInfo@
-- message carrying both.
encodeFrameworkInfoWith :: FrameworkInfo -> FrameworkInfoExtras -> ByteString
encodeFrameworkInfoWith info extras =
  encodeMessage info
    <> encodeBuilder
         (optional (bytesField 9) (extrasWebUiUrl extras)
            <> repeated (subMessage 10 . enumField 1 . fromEnum) (extrasCapabilities extras)
            <> (if null (extrasLabels extras) then mempty else subMessage 11 (encodeLabels (extrasLabels extras)))
            <> repeated (bytesField 12) (extrasRoles extras))

-- | Describes a master.
data MasterInfo = MasterInfo
  { masterInfoId'      :: !ByteString
  , masterInfoIp       :: !Word32 -- ^ IPv4 address in network byte order.
  , masterInfoPort     :: !(Maybe Word32) -- ^ Defaults to 5050
  , masterInfoPid      :: !(Maybe ByteString)
  , masterInfoHostname :: !(Maybe ByteString)
  , masterInfoVersion  :: !(Maybe ByteString)
  }
  deriving (Show, Eq)

-- | A 'MasterInfo' with an id and an address.
masterInfo :: ByteString -> Word32 -> MasterInfo
masterInfo mid ip = MasterInfo mid ip Nothing Nothing Nothing Nothing

-- | @mesos.MasterInfo@. A missing id or ip reads as empty / 0: this record is
-- informational, and the registration it comes with must not fail over it.
instance Message MasterInfo where
  encodeFields m =
    bytesField 1 (masterInfoId' m)
      <> varintField 2 (fromIntegral (masterInfoIp m))
      <> optional (varintField 3 . fromIntegral) (masterInfoPort m)
      <> optional (bytesField 4) (masterInfoPid m)
      <> optional (bytesField 5) (masterInfoHostname m)
      <> optional (bytesField 6) (masterInfoVersion m)
  decodeFields fs =
    MasterInfo
      <$> (fromMaybe mempty <$> optBytes 1 fs)
      <*> (maybe 0 fromIntegral <$> optVarint 2 fs)
      <*> (fmap fromIntegral <$> optVarint 3 fs)
      <*> optBytes 4 fs
      <*> optBytes 5 fs
      <*> optBytes 6 fs

-- | Describes a slave (agent).
data SlaveInfo = SlaveInfo
  { slaveInfoHostname   :: !ByteString
  , slaveInfoPort       :: !(Maybe Word32) -- ^Defaults to 5051
  , slaveInfoResources  :: ![Resource]
  , slaveInfoAttributes :: ![(ByteString, Value)]
  , slaveInfoSlaveId    :: !(Maybe SlaveID)
  , slaveInfoCheckpoint :: !(Maybe Bool)
  }
  deriving (Show, Eq)

-- | A 'SlaveInfo' with a hostname, resources and attributes.
slaveInfo :: ByteString -> [Resource] -> [(ByteString, Value)] -> SlaveInfo
slaveInfo hn rs as = SlaveInfo hn Nothing rs as Nothing Nothing

-- | @mesos.SlaveInfo@ / @mesos.v1.AgentInfo@
instance Message SlaveInfo where
  encodeFields s =
    bytesField 1 (slaveInfoHostname s)
      <> repeated (messageField 3) (slaveInfoResources s)
      <> repeated (subMessage 5 . encodeAttribute) (slaveInfoAttributes s)
      <> optional (messageField 6) (slaveInfoSlaveId s)
      <> optional (boolField 7) (slaveInfoCheckpoint s)
      <> optional (varintField 8 . fromIntegral) (slaveInfoPort s)
  decodeFields fs =
    SlaveInfo
      <$> reqBytes "hostname" 1 fs
      <*> (fmap fromIntegral <$> optVarint 8 fs)
      <*> repMessage 3 fs
      <*> (repSub 5 fs >>= traverse decodeAttribute)
      <*> optMessage 6 fs
      <*> optBool 7 fs

-- | Credential used for authentication. 'credentialPrincipal' authenticates
-- the framework with the master; it is unrelated to 'frameworkInfoUser'.
data Credential = Credential
  { credentialPrincipal :: !ByteString
  , credentialSecret    :: !(Maybe ByteString)
  }
  deriving (Show, Eq)

-- | A 'Credential' with a principal and no secret.
credential :: ByteString -> Credential
credential p = Credential p Nothing

-- | @mesos.Credential@
instance Message Credential where
  encodeFields c = bytesField 1 (credentialPrincipal c) <> optional (bytesField 2) (credentialSecret c)
  decodeFields fs = Credential <$> reqBytes "principal" 1 fs <*> optBytes 2 fs

------------------------------------------------------------------------------
-- Values and resources

-- | The value of a resource or an attribute.
data Value
  = Scalar !Double
  | Ranges ![(Word64, Word64)] -- ^ Inclusive (begin, end) pairs.
  | Set ![ByteString]
  | Text !ByteString
  | UnknownValue !Int -- ^ A value type this package does not know.
  deriving (Show, Eq)

-- Where a Value's payload goes: Resource and Attribute number them differently.
data ValueLayout = ValueLayout { layoutScalar, layoutRanges, layoutSet :: Int, layoutText :: Maybe Int }

resourceLayout, attributeLayout :: ValueLayout
resourceLayout = ValueLayout 3 4 5 Nothing
attributeLayout = ValueLayout 3 4 6 (Just 5)

encodeValue :: ValueLayout -> Value -> B.Builder
encodeValue layout value = case value of
  Scalar d -> enumField 2 0 <> subMessage (layoutScalar layout) (doubleField 1 d)
  Ranges rs -> enumField 2 1 <> subMessage (layoutRanges layout) (repeated (subMessage 1 . range) rs)
  Set items -> enumField 2 2 <> subMessage (layoutSet layout) (repeated (bytesField 1) items)
  Text t -> case layoutText layout of
    Just n -> enumField 2 3 <> subMessage n (bytesField 1 t)
    -- A resource cannot hold text: like hs-mesos, send it as a one-item set.
    Nothing -> encodeValue layout (Set [t])
  UnknownValue n -> enumField 2 n
  where range (b, e) = varintField 1 b <> varintField 2 e

decodeValue :: ValueLayout -> Fields -> Either String Value
decodeValue layout fs = do
  valueType <- reqEnum "type" 2 fs
  case valueType of
    0 -> do
      scalar <- reqSub "scalar" (layoutScalar layout) fs
      Scalar <$> reqDouble "scalar.value" 1 scalar
    1 -> do
      ranges <- fromMaybe [] <$> optSub (layoutRanges layout) fs
      Ranges <$> (repSub 1 ranges >>= traverse range)
    2 -> do
      set <- fromMaybe [] <$> optSub (layoutSet layout) fs
      Set <$> repBytes 1 set
    3 | Just n <- layoutText layout -> do
      text <- reqSub "text" n fs
      Text <$> reqBytes "text.value" 1 text
    other -> Right (UnknownValue other)
  where range r = (,) <$> reqVarint "begin" 1 r <*> reqVarint "end" 2 r

encodeAttribute :: (ByteString, Value) -> B.Builder
encodeAttribute (name, value) = bytesField 1 name <> encodeValue attributeLayout value

decodeAttribute :: Fields -> Either String (ByteString, Value)
decodeAttribute fs = (,) <$> reqBytes "name" 1 fs <*> decodeValue attributeLayout fs

-- | Describes a resource on a machine. A resource can take on one of
-- three types: scalar (double), a list of finite and discrete ranges
-- (e.g., [1-10, 20-30]), or a set of items. As in hs-mesos, a 'Text'
-- value is sent as a one-item 'Set'.
data Resource = Resource
  { resourceName                     :: !ByteString
  , resourceValue                    :: !Value
  , resourceRole                     :: !(Maybe ByteString)
  , resourceReservationInfoPrincipal :: !(Maybe ByteString)
  -- ^ The principal of a dynamic reservation.
  , resourceDiskInfoPersistence      :: !(Maybe ByteString)
  -- ^ The ID of a persistent disk volume.
  , resourceDiskInfoVolume           :: !(Maybe Volume)
  -- ^ How a disk resource is mounted in the container.
  }
  deriving (Show, Eq)

-- | A 'Resource' with a name and a value (e.g. @resource "cpus" (Scalar 1)@).
resource :: ByteString -> Value -> Resource
resource n v = Resource n v Nothing Nothing Nothing Nothing

-- | @mesos.Resource@
instance Message Resource where
  encodeFields r =
    bytesField 1 (resourceName r)
      <> encodeValue resourceLayout (resourceValue r)
      <> optional (bytesField 6) (resourceRole r)
      <> disk
      <> optional (subMessage 8 . bytesField 1) (resourceReservationInfoPrincipal r)
    where
      disk = case (resourceDiskInfoPersistence r, resourceDiskInfoVolume r) of
        (Nothing, Nothing) -> mempty
        (persistence, volume) ->
          subMessage 7 (optional (subMessage 1 . bytesField 1) persistence <> optional (messageField 2) volume)
  decodeFields fs = do
    disk <- optSub 7 fs
    persistence <- maybe (Right Nothing) (optSub 1) disk
    reservation <- optSub 8 fs
    Resource
      <$> reqBytes "name" 1 fs
      <*> decodeValue resourceLayout fs
      <*> optBytes 6 fs
      <*> maybe (Right Nothing) (optBytes 1) reservation
      <*> maybe (Right Nothing) (optBytes 1) persistence
      <*> maybe (Right Nothing) (optMessage 2) disk

-- | Describes a request for resources that can be used by a framework
-- to proactively influence the allocator.
data Request = Request
  { requestSlaveId   :: !(Maybe SlaveID) -- ^ If set, the request only applies to resources on that slave.
  , requestResources :: ![Resource]
  }
  deriving (Show, Eq)

-- | @mesos.Request@
instance Message Request where
  encodeFields r = optional (messageField 1) (requestSlaveId r) <> repeated (messageField 2) (requestResources r)
  decodeFields fs = Request <$> optMessage 1 fs <*> repMessage 2 fs

-- | Time to consider unused resources refused.
newtype Filters = Filters
  { filtersRefuseSeconds :: Maybe Double
  -- ^ Time to consider unused resources refused. Defaults to 5.0 if not set.
  }
  deriving (Show, Eq)

-- | 'Filters' with the default refusal time.
filters :: Filters
filters = Filters Nothing

-- | @mesos.Filters@
instance Message Filters where
  encodeFields = optional (doubleField 1) . filtersRefuseSeconds
  decodeFields fs = Filters <$> optDouble 1 fs

-- | Describes some resources available on a slave. An offer only
-- contains resources from a single slave.
data Offer = Offer
  { offerId'         :: !OfferID
  , offerFrameworkId :: !FrameworkID
  , offerSlaveId     :: !SlaveID
  , offerHostname    :: !ByteString
  , offerResources   :: ![Resource]
  , offerAttributes  :: ![(ByteString, Value)]
  , offerExecutorIds :: ![ExecutorID]
  }
  deriving (Show, Eq)

-- | @mesos.Offer@
instance Message Offer where
  encodeFields o =
    messageField 1 (offerId' o)
      <> messageField 2 (offerFrameworkId o)
      <> messageField 3 (offerSlaveId o)
      <> bytesField 4 (offerHostname o)
      <> repeated (messageField 5) (offerResources o)
      <> repeated (messageField 6) (offerExecutorIds o)
      <> repeated (subMessage 7 . encodeAttribute) (offerAttributes o)
  decodeFields fs =
    Offer
      <$> reqMessage "id" 1 fs
      <*> reqMessage "framework_id" 2 fs
      <*> reqMessage "agent_id" 3 fs
      <*> reqBytes "hostname" 4 fs
      <*> repMessage 5 fs
      <*> (repSub 7 fs >>= traverse decodeAttribute)
      <*> repMessage 6 fs

-- | An operation on offered resources (@mesos.Offer.Operation@), for
-- 'System.Mesos.Scheduler.acceptOffers'.
data OfferOperation
  = OfferLaunch ![TaskInfo] -- ^ Launch tasks.
  | OfferReserve ![Resource] -- ^ Reserve resources dynamically.
  | OfferUnreserve ![Resource] -- ^ Release dynamically reserved resources.
  | OfferCreate ![Resource] -- ^ Create persistent volumes.
  | OfferDestroy ![Resource] -- ^ Destroy persistent volumes.
  | OfferOperationRaw !ByteString
    -- ^ An already encoded @Offer.Operation@, for operations this package
    -- does not model (e.g. LAUNCH_GROUP). Sent verbatim.
  deriving (Show, Eq)

-- | @mesos.Offer.Operation@
instance Message OfferOperation where
  encodeFields op = case op of
    OfferLaunch tasks -> enumField 1 1 <> subMessage 2 (repeated (messageField 1) tasks)
    OfferReserve rs -> enumField 1 2 <> subMessage 3 (repeated (messageField 1) rs)
    OfferUnreserve rs -> enumField 1 3 <> subMessage 4 (repeated (messageField 1) rs)
    OfferCreate rs -> enumField 1 4 <> subMessage 5 (repeated (messageField 1) rs)
    OfferDestroy rs -> enumField 1 5 <> subMessage 6 (repeated (messageField 1) rs)
    OfferOperationRaw bytes -> B.byteString bytes
  decodeFields fs = do
    operationType <- reqEnum "type" 1 fs
    let payload n wrap = do
          sub <- fromMaybe [] <$> optSub n fs
          wrap <$> repMessage 1 sub
    case operationType of
      1 -> payload 2 OfferLaunch
      2 -> payload 3 OfferReserve
      3 -> payload 4 OfferUnreserve
      4 -> payload 5 OfferCreate
      5 -> payload 6 OfferDestroy
      other -> Left ("unsupported Offer.Operation type " ++ show other)

------------------------------------------------------------------------------
-- Tasks and executors

-- | The command of a 'CommandInfo'.
data CommandValue = ShellCommand !ByteString -- ^ Run with @\/bin\/sh -c@.
                  | RawCommand !ByteString ![ByteString] -- ^ Executable and its arguments (argv).
                  deriving (Show, Eq)

-- | Describes a command, executed via @\/bin\/sh -c value@ (or directly for a
-- 'RawCommand'). Any URIs are fetched first; environment variables are set
-- before the command runs.
data CommandInfo = CommandInfo
  { commandInfoUris        :: ![CommandURI]
  , commandInfoEnvironment :: !(Maybe [(ByteString, ByteString)])
  , commandInfoValue       :: !CommandValue
  , commandInfoUser        :: !(Maybe ByteString)
  -- ^ Runs the executor and tasks as this user; takes precedence over
  -- 'frameworkInfoUser'.
  }
  deriving (Show, Eq)

-- | A 'CommandInfo' with only a command.
commandInfo :: CommandValue -> CommandInfo
commandInfo v = CommandInfo [] Nothing v Nothing

-- | @mesos.CommandInfo@
instance Message CommandInfo where
  encodeFields c =
    -- In field-number order, as protobuf encoders write them.
    repeated (messageField 1) (commandInfoUris c)
      <> optional (subMessage 2 . repeated (subMessage 1 . variable)) (commandInfoEnvironment c)
      <> bytesField 3 value
      <> optional (bytesField 5) (commandInfoUser c)
      <> rawArguments
    where
      variable (name, v) = bytesField 1 name <> bytesField 2 v
      (value, rawArguments) = case commandInfoValue c of
        ShellCommand v -> (v, mempty)
        RawCommand v args -> (v, boolField 6 False <> repeated (bytesField 7) args)
  decodeFields fs = do
    environment <- optSub 2 fs
    shell <- fromMaybe True <$> optBool 6 fs
    value <- fromMaybe mempty <$> optBytes 3 fs
    args <- repBytes 7 fs
    CommandInfo
      <$> repMessage 1 fs
      <*> traverse (\env -> repSub 1 env >>= traverse variable) environment
      <*> pure (if shell then ShellCommand value else RawCommand value args)
      <*> optBytes 5 fs
    where
      variable v = (,) <$> reqBytes "name" 1 v <*> (fromMaybe mempty <$> optBytes 2 v)

-- | A URI fetched into the sandbox before a command runs.
data CommandURI = CommandURI
  { commandURIValue      :: !ByteString
  , commandURIExecutable :: !(Maybe Bool)
  , commandURIExtract    :: !(Maybe Bool)
    -- ^ Extract a recognized archive into the sandbox (default true).
  , commandURICache      :: !(Maybe Bool)
    -- ^ Use the fetcher cache.
  }
  deriving (Show, Eq)

-- | A 'CommandURI' with only the URI.
commandURI :: ByteString -> CommandURI
commandURI v = CommandURI v Nothing Nothing Nothing

-- | @mesos.CommandInfo.URI@
instance Message CommandURI where
  encodeFields u =
    bytesField 1 (commandURIValue u)
      <> optional (boolField 2) (commandURIExecutable u)
      <> optional (boolField 3) (commandURIExtract u)
      <> optional (boolField 4) (commandURICache u)
  decodeFields fs =
    CommandURI <$> reqBytes "value" 1 fs <*> optBool 2 fs <*> optBool 3 fs <*> optBool 4 fs

-- | Describes information about an executor.
data ExecutorInfo = ExecutorInfo
  { executorInfoExecutorId    :: !ExecutorID
  , executorInfoFrameworkId   :: !FrameworkID
  , executorInfoCommandInfo   :: !CommandInfo
  , executorInfoContainerInfo :: !(Maybe ContainerInfo)
  , executorInfoResources     :: ![Resource]
  , executorInfoName          :: !(Maybe ByteString)
  , executorInfoSource        :: !(Maybe ByteString)
  , executorInfoDiscover      :: !(Maybe DiscoveryInfo)
  }
  deriving (Show, Eq)

-- | An 'ExecutorInfo' with its required parts.
executorInfo :: ExecutorID -> FrameworkID -> CommandInfo -> [Resource] -> ExecutorInfo
executorInfo eid fid ci rs = ExecutorInfo eid fid ci Nothing rs Nothing Nothing Nothing

-- | @mesos.ExecutorInfo@
instance Message ExecutorInfo where
  encodeFields e =
    messageField 1 (executorInfoExecutorId e)
      <> repeated (messageField 5) (executorInfoResources e)
      <> messageField 7 (executorInfoCommandInfo e)
      <> messageField 8 (executorInfoFrameworkId e)
      <> optional (bytesField 9) (executorInfoName e)
      <> optional (bytesField 10) (executorInfoSource e)
      <> optional (messageField 11) (executorInfoContainerInfo e)
      <> optional (messageField 12) (executorInfoDiscover e)
  decodeFields fs =
    ExecutorInfo
      <$> reqMessage "executor_id" 1 fs
      <*> (fromMaybe (FrameworkID mempty) <$> optMessage 8 fs)
      <*> (fromMaybe (commandInfo (ShellCommand mempty)) <$> optMessage 7 fs)
      <*> optMessage 11 fs
      <*> repMessage 5 fs
      <*> optBytes 9 fs
      <*> optBytes 10 fs
      <*> optMessage 12 fs

-- | What runs a task: a command (run by the command executor) or an executor.
data TaskExecutionInfo
  = TaskCommand !CommandInfo
  | TaskExecutor !ExecutorInfo
  deriving (Eq, Show)

-- | Describes a task, passed from the scheduler all the way to an executor.
data TaskInfo = TaskInfo
  { taskInfoName           :: !ByteString
  , taskInfoId'            :: !TaskID
  , taskInfoSlaveId        :: !SlaveID
  , taskInfoResources      :: ![Resource]
  , taskInfoImplementation :: !TaskExecutionInfo
  , taskInfoData_          :: !(Maybe ByteString)
  , taskInfoContainer      :: !(Maybe ContainerInfo)
  -- ^ A container to launch the task in, with the task's 'CommandInfo'.
  , taskInfoHealthCheck    :: !(Maybe HealthCheck)
  , taskInfoLabels         :: ![(ByteString, Maybe ByteString)]
  -- ^ Free-form key/value pairs, not interpreted by Mesos.
  , taskInfoDiscovery      :: !(Maybe DiscoveryInfo)
  }
  deriving (Show, Eq)

-- | A 'TaskInfo' with its required parts.
taskInfo :: ByteString -> TaskID -> SlaveID -> [Resource] -> TaskExecutionInfo -> TaskInfo
taskInfo n t s rs i = TaskInfo n t s rs i Nothing Nothing Nothing [] Nothing

encodeLabels :: [(ByteString, Maybe ByteString)] -> B.Builder
encodeLabels = repeated (\(k, v) -> subMessage 1 (bytesField 1 k <> optional (bytesField 2) v))

decodeLabels :: Fields -> Either String [(ByteString, Maybe ByteString)]
decodeLabels fs = repSub 1 fs >>= traverse (\l -> (,) <$> reqBytes "key" 1 l <*> optBytes 2 l)

-- | @mesos.TaskInfo@
instance Message TaskInfo where
  encodeFields t =
    bytesField 1 (taskInfoName t)
      <> messageField 2 (taskInfoId' t)
      <> messageField 3 (taskInfoSlaveId t)
      <> repeated (messageField 4) (taskInfoResources t)
      <> (case taskInfoImplementation t of TaskExecutor e -> messageField 5 e; TaskCommand _ -> mempty)
      <> optional (bytesField 6) (taskInfoData_ t)
      <> (case taskInfoImplementation t of TaskCommand c -> messageField 7 c; TaskExecutor _ -> mempty)
      <> optional (messageField 8) (taskInfoHealthCheck t)
      <> optional (messageField 9) (taskInfoContainer t)
      <> (if null (taskInfoLabels t) then mempty else subMessage 10 (encodeLabels (taskInfoLabels t)))
      <> optional (messageField 11) (taskInfoDiscovery t)
  decodeFields fs = do
    executor <- optMessage 5 fs
    command <- optMessage 7 fs
    impl <- case (executor, command) of
      (Just e, _) -> Right (TaskExecutor e)
      (Nothing, Just c) -> Right (TaskCommand c)
      (Nothing, Nothing) -> Left "TaskInfo has neither an executor nor a command"
    TaskInfo
      <$> reqBytes "name" 1 fs
      <*> reqMessage "task_id" 2 fs
      <*> reqMessage "agent_id" 3 fs
      <*> repMessage 4 fs
      <*> pure impl
      <*> optBytes 6 fs
      <*> optMessage 9 fs
      <*> optMessage 8 fs
      <*> (optSub 10 fs >>= maybe (Right []) decodeLabels)
      <*> optMessage 11 fs

-- | Describes the current status of a task.
data TaskStatus = TaskStatus
  { taskStatusTaskId     :: !TaskID
  , taskStatusState      :: !TaskState
  , taskStatusMessage    :: !(Maybe ByteString) -- ^ Possible message explaining state.
  , taskStatusSource     :: !(Maybe TaskStatusSource)
  , taskStatusReason     :: !(Maybe TaskStatusReason)
  , taskStatusData_      :: !(Maybe ByteString)
  , taskStatusSlaveId    :: !(Maybe SlaveID)
  , taskStatusExecutorId :: !(Maybe ExecutorID)
  , taskStatusTimestamp  :: !(Maybe Double)
  , taskStatusUUID       :: !(Maybe ByteString)
  -- ^ Identifies the update for acknowledgement.
  , taskStatusHealthy    :: !(Maybe Bool)
  -- ^ Whether the task passed its health check.
  }
  deriving (Show, Eq)

-- | @mesos.TaskStatus@
instance Message TaskStatus where
  encodeFields s =
    messageField 1 (taskStatusTaskId s)
      <> enumField 2 (fromEnum (taskStatusState s))
      <> optional (bytesField 3) (taskStatusData_ s)
      <> optional (bytesField 4) (taskStatusMessage s)
      <> optional (messageField 5) (taskStatusSlaveId s)
      <> optional (doubleField 6) (taskStatusTimestamp s)
      <> optional (messageField 7) (taskStatusExecutorId s)
      <> optional (boolField 8) (taskStatusHealthy s)
      <> optional (enumField 9 . fromEnum) (taskStatusSource s)
      <> optional (enumField 10 . fromEnum) (taskStatusReason s)
      <> optional (bytesField 11) (taskStatusUUID s)
  decodeFields fs =
    TaskStatus
      <$> reqMessage "task_id" 1 fs
      <*> (toEnum <$> reqEnum "state" 2 fs)
      <*> optBytes 4 fs
      <*> (fmap toEnum <$> optEnum 9 fs)
      <*> (fmap toEnum <$> optEnum 10 fs)
      <*> optBytes 3 fs
      <*> optMessage 5 fs
      <*> optMessage 7 fs
      <*> optDouble 6 fs
      <*> optBytes 11 fs
      <*> optBool 8 fs

------------------------------------------------------------------------------
-- Containers, health checks, discovery

-- | The kind of container.
data ContainerType = Docker { dockerImage :: ByteString }
                   | MesosContainer
                     -- ^ The Mesos containerizer (MESOS = 2), without an image: the
                     -- task runs in the agent's root filesystem.
                   | Unknown Int -- ^ Any other container type, by number.
  deriving (Show, Eq)

-- | Describes a container.
data ContainerInfo = ContainerInfo
  { containerInfoContainerType :: !ContainerType
  , containerInfoVolumes       :: ![Volume]
  } deriving (Show, Eq)

-- | @mesos.ContainerInfo@
instance Message ContainerInfo where
  encodeFields c =
    enumField 1 typeNumber <> repeated (messageField 2) (containerInfoVolumes c) <> docker
    where
      (typeNumber, docker) = case containerInfoContainerType c of
        Docker image -> (1, subMessage 3 (bytesField 1 image))
        MesosContainer -> (2, mempty)
        Unknown n -> (n, mempty)
  decodeFields fs = do
    typeNumber <- reqEnum "type" 1 fs
    containerType <- case typeNumber of
      1 -> do
        docker <- reqSub "docker" 3 fs
        Docker <$> reqBytes "docker.image" 1 docker
      2 -> Right MesosContainer
      n -> Right (Unknown n)
    ContainerInfo containerType <$> repMessage 2 fs

-- | A volume mounted into a container.
data Volume = Volume
  { volumeContainerPath :: !ByteString
  , volumeHostPath      :: !(Maybe ByteString)
  , volumeMode          :: !Mode
  } deriving (Show, Eq)

-- | @mesos.Volume@
instance Message Volume where
  encodeFields v =
    bytesField 1 (volumeContainerPath v)
      <> optional (bytesField 2) (volumeHostPath v)
      <> enumField 3 (fromEnum (volumeMode v))
  decodeFields fs =
    Volume <$> reqBytes "container_path" 1 fs <*> optBytes 2 fs <*> (maybe ReadWrite toEnum <$> optEnum 3 fs)

-- | How a task's health is checked.
data HealthCheckStrategy
   = HTTPCheck
     { healthCheckStrategyPort     :: !Word32 -- ^ Port to send the HTTP request.
     , healthCheckStrategyPath     :: !(Maybe ByteString) -- ^ HTTP request path (defaults to @"/"@).
     , healthCheckStrategyStatuses :: ![Word32] -- ^ Expected response statuses (any when empty).
     }
   | CommandCheck
     { healthCheckStrategyCommand :: !CommandInfo -- ^ Command health check.
     }
   | TCPCheck
     { healthCheckStrategyPort     :: !Word32 -- ^ Port to open a TCP connection to.
     }
   | UnknownCheck !Int -- ^ A check type this package does not know, by number.
   deriving (Show, Eq)

-- | A health check for a task.
data HealthCheck = HealthCheck
  { healthCheckStrategy            :: !HealthCheckStrategy
  , healthCheckDelaySeconds        :: !(Maybe Double) -- ^ Amount of time to wait until starting the health checks.
  , healthCheckIntervalSeconds     :: !(Maybe Double) -- ^ Interval between health checks.
  , healthCheckTimeoutSeconds      :: !(Maybe Double) -- ^ Amount of time to wait for the health check to complete.
  , healthCheckConsecutiveFailures :: !(Maybe Word32) -- ^ Number of consecutive failures until considered unhealthy.
  , healthCheckGracePeriodSeconds  :: !(Maybe Double) -- ^ Amount of time to allow failed health checks since launch.
  } deriving (Show, Eq)

-- | @mesos.HealthCheck@ (COMMAND, HTTP and TCP checks)
instance Message HealthCheck where
  encodeFields h =
    http
      <> optional (doubleField 2) (healthCheckDelaySeconds h)
      <> optional (doubleField 3) (healthCheckIntervalSeconds h)
      <> optional (doubleField 4) (healthCheckTimeoutSeconds h)
      <> optional (varintField 5 . fromIntegral) (healthCheckConsecutiveFailures h)
      <> optional (doubleField 6) (healthCheckGracePeriodSeconds h)
      <> command
      <> enumField 8 checkType
      <> tcp
    where
      (checkType, http, command, tcp) = case healthCheckStrategy h of
        HTTPCheck port path statuses ->
          ( 2
          , subMessage 1 (varintField 1 (fromIntegral port) <> optional (bytesField 2) path
                          <> repeated (varintField 4 . fromIntegral) statuses)
          , mempty, mempty )
        CommandCheck c -> (1, mempty, messageField 7 c, mempty)
        TCPCheck port -> (3, mempty, mempty, subMessage 9 (varintField 1 (fromIntegral port)))
        UnknownCheck n -> (n, mempty, mempty, mempty)
  decodeFields fs = do
    checkType <- optEnum 8 fs
    http <- optSub 1 fs
    command <- optMessage 7 fs
    tcp <- optSub 9 fs
    strategy <- case (checkType, http, command, tcp) of
      (Just 1, _, Just c, _) -> Right (CommandCheck c)
      (Just 1, _, Nothing, _) -> Left "a COMMAND health check without its command"
      (Just 2, Just h, _, _) -> httpCheck h
      (Just 2, Nothing, _, _) -> Left "an HTTP health check without its http field"
      (Just 3, _, _, Just t) -> TCPCheck . fromIntegral <$> reqVarint "tcp.port" 1 t
      (Just 3, _, _, Nothing) -> Left "a TCP health check without its tcp field"
      (Just n, _, _, _) -> Right (UnknownCheck n)
      -- Before the type field existed, the filled field told the kind.
      (Nothing, Just h, _, _) -> httpCheck h
      (Nothing, Nothing, Just c, _) -> Right (CommandCheck c)
      (Nothing, Nothing, Nothing, _) -> Right (UnknownCheck 0)
    HealthCheck strategy
      <$> optDouble 2 fs
      <*> optDouble 3 fs
      <*> optDouble 4 fs
      <*> (fmap fromIntegral <$> optVarint 5 fs)
      <*> optDouble 6 fs
    where
      httpCheck h =
        HTTPCheck
          <$> (fromIntegral <$> reqVarint "http.port" 1 h)
          <*> optBytes 2 h
          <*> (map fromIntegral <$> repVarint 4 h)

-- | Named port used for service discovery.
data Port = Port
  { portNumber   :: !Word32
  , portName     :: !(Maybe ByteString)
  , portProtocol :: !(Maybe ByteString)
  } deriving (Show, Eq)

-- | @mesos.Port@
instance Message Port where
  encodeFields p =
    varintField 1 (fromIntegral (portNumber p)) <> optional (bytesField 2) (portName p)
      <> optional (bytesField 3) (portProtocol p)
  decodeFields fs = Port <$> (fromIntegral <$> reqVarint "number" 1 fs) <*> optBytes 2 fs <*> optBytes 3 fs

-- | Service discovery information, not interpreted by Mesos.
data DiscoveryInfo = DiscoveryInfo
  { discoveryInfoVisibility  :: !Visibility
  , discoveryInfoName        :: !(Maybe ByteString)
  , discoveryInfoEnvironment :: !(Maybe ByteString)
  , discoveryInfoLocation    :: !(Maybe ByteString)
  , discoveryInfoVersion     :: !(Maybe ByteString)
  , discoveryInfoPorts       :: ![Port]
  , discoveryInfoLabels      :: ![(ByteString, Maybe ByteString)]
  } deriving (Show, Eq)

-- | @mesos.DiscoveryInfo@
instance Message DiscoveryInfo where
  encodeFields d =
    enumField 1 (fromEnum (discoveryInfoVisibility d))
      <> optional (bytesField 2) (discoveryInfoName d)
      <> optional (bytesField 3) (discoveryInfoEnvironment d)
      <> optional (bytesField 4) (discoveryInfoLocation d)
      <> optional (bytesField 5) (discoveryInfoVersion d)
      <> (if null (discoveryInfoPorts d) then mempty else subMessage 6 (repeated (messageField 1) (discoveryInfoPorts d)))
      <> (if null (discoveryInfoLabels d) then mempty else subMessage 7 (encodeLabels (discoveryInfoLabels d)))
  decodeFields fs =
    DiscoveryInfo
      <$> (maybe VisibilityFramework toEnum <$> optEnum 1 fs)
      <*> optBytes 2 fs
      <*> optBytes 3 fs
      <*> optBytes 4 fs
      <*> optBytes 5 fs
      <*> (optSub 6 fs >>= maybe (Right []) (repMessage 1))
      <*> (optSub 7 fs >>= maybe (Right []) decodeLabels)

------------------------------------------------------------------------------
-- Resource usage statistics (what an agent reports about its containers)

-- | Statistics of a traffic control queue discipline of a container's network.
data TrafficControlStatistics = TrafficControlStatistics
  { trafficControlStatisticsIDId'      :: !ByteString
  , trafficControlStatisticsBacklog    :: !(Maybe Word64)
  , trafficControlStatisticsBytes      :: !(Maybe Word64)
  , trafficControlStatisticsDrops      :: !(Maybe Word64)
  , trafficControlStatisticsOverlimits :: !(Maybe Word64)
  , trafficControlStatisticsPackets    :: !(Maybe Word64)
  , trafficControlStatisticsQlen       :: !(Maybe Word64)
  , trafficControlStatisticsRatebps    :: !(Maybe Word64)
  , trafficControlStatisticsRatepps    :: !(Maybe Word64)
  , trafficControlStatisticsRequeues   :: !(Maybe Word64)
  } deriving (Show, Eq)

-- | @mesos.TrafficControlStatistics@
instance Message TrafficControlStatistics where
  encodeFields x =
    bytesField 1 (trafficControlStatisticsIDId' x)
      <> optional (varintField 2 . fromIntegral) (trafficControlStatisticsBacklog x)
      <> optional (varintField 3 . fromIntegral) (trafficControlStatisticsBytes x)
      <> optional (varintField 4 . fromIntegral) (trafficControlStatisticsDrops x)
      <> optional (varintField 5 . fromIntegral) (trafficControlStatisticsOverlimits x)
      <> optional (varintField 6 . fromIntegral) (trafficControlStatisticsPackets x)
      <> optional (varintField 7 . fromIntegral) (trafficControlStatisticsQlen x)
      <> optional (varintField 8 . fromIntegral) (trafficControlStatisticsRatebps x)
      <> optional (varintField 9 . fromIntegral) (trafficControlStatisticsRatepps x)
      <> optional (varintField 10 . fromIntegral) (trafficControlStatisticsRequeues x)
  decodeFields fs =
    TrafficControlStatistics
      <$> reqBytes "id" 1 fs
      <*> (fmap fromIntegral <$> optVarint 2 fs)
      <*> (fmap fromIntegral <$> optVarint 3 fs)
      <*> (fmap fromIntegral <$> optVarint 4 fs)
      <*> (fmap fromIntegral <$> optVarint 5 fs)
      <*> (fmap fromIntegral <$> optVarint 6 fs)
      <*> (fmap fromIntegral <$> optVarint 7 fs)
      <*> (fmap fromIntegral <$> optVarint 8 fs)
      <*> (fmap fromIntegral <$> optVarint 9 fs)
      <*> (fmap fromIntegral <$> optVarint 10 fs)

-- | A sample of @perf@ counters of a container (@mesos.PerfStatistics@).
data PerformanceStatistics = PerformanceStatistics
  { performanceStatisticsTimestamp              :: !Double
  , performanceStatisticsDuration               :: !Double
  , performanceStatisticsCycles                 :: !(Maybe Word64)
  , performanceStatisticsStalledCyclesFrontend  :: !(Maybe Word64)
  , performanceStatisticsStalledCyclesBackend   :: !(Maybe Word64)
  , performanceStatisticsInstructions           :: !(Maybe Word64)
  , performanceStatisticsCacheReferences        :: !(Maybe Word64)
  , performanceStatisticsCacheMisses            :: !(Maybe Word64)
  , performanceStatisticsBranches               :: !(Maybe Word64)
  , performanceStatisticsBranchMisses           :: !(Maybe Word64)
  , performanceStatisticsBusCycles              :: !(Maybe Word64)
  , performanceStatisticsRefCycles              :: !(Maybe Word64)
  , performanceStatisticsCpuClock               :: !(Maybe Double)
  , performanceStatisticsTaskClock              :: !(Maybe Double)
  , performanceStatisticsPageFaults             :: !(Maybe Word64)
  , performanceStatisticsMinorFaults            :: !(Maybe Word64)
  , performanceStatisticsMajorFaults            :: !(Maybe Word64)
  , performanceStatisticsContextSwitches        :: !(Maybe Word64)
  , performanceStatisticsCpuMigrations          :: !(Maybe Word64)
  , performanceStatisticsAlignmentFaults        :: !(Maybe Word64)
  , performanceStatisticsEmulationFaults        :: !(Maybe Word64)
  , performanceStatisticsL1DcacheLoads          :: !(Maybe Word64)
  , performanceStatisticsL1DcacheLoadMisses     :: !(Maybe Word64)
  , performanceStatisticsL1DcacheStores         :: !(Maybe Word64)
  , performanceStatisticsL1DcacheStoreMisses    :: !(Maybe Word64)
  , performanceStatisticsL1DcachePrefetches     :: !(Maybe Word64)
  , performanceStatisticsL1DcachePrefetchMisses :: !(Maybe Word64)
  , performanceStatisticsL1IcacheLoads          :: !(Maybe Word64)
  , performanceStatisticsL1IcacheLoadMisses     :: !(Maybe Word64)
  , performanceStatisticsL1IcachePrefetches     :: !(Maybe Word64)
  , performanceStatisticsL1IcachePrefetchMisses :: !(Maybe Word64)
  , performanceStatisticsLlcLoads               :: !(Maybe Word64)
  , performanceStatisticsLlcLoadMisses          :: !(Maybe Word64)
  , performanceStatisticsLlcStores              :: !(Maybe Word64)
  , performanceStatisticsLlcStoreMisses         :: !(Maybe Word64)
  , performanceStatisticsLlcPrefetches          :: !(Maybe Word64)
  , performanceStatisticsLlcPrefetchMisses      :: !(Maybe Word64)
  , performanceStatisticsDtlbLoads              :: !(Maybe Word64)
  , performanceStatisticsDtlbLoadMisses         :: !(Maybe Word64)
  , performanceStatisticsDtlbStores             :: !(Maybe Word64)
  , performanceStatisticsDtlbStoreMisses        :: !(Maybe Word64)
  , performanceStatisticsDtlbPrefetches         :: !(Maybe Word64)
  , performanceStatisticsDtlbPrefetchMisses     :: !(Maybe Word64)
  , performanceStatisticsItlbLoads              :: !(Maybe Word64)
  , performanceStatisticsItlbLoadMisses         :: !(Maybe Word64)
  , performanceStatisticsBranchLoads            :: !(Maybe Word64)
  , performanceStatisticsBranchLoadMisses       :: !(Maybe Word64)
  , performanceStatisticsNodeLoads              :: !(Maybe Word64)
  , performanceStatisticsNodeLoadMisses         :: !(Maybe Word64)
  , performanceStatisticsNodeStores             :: !(Maybe Word64)
  , performanceStatisticsNodeStoreMisses        :: !(Maybe Word64)
  , performanceStatisticsNodePrefetches         :: !(Maybe Word64)
  , performanceStatisticsNodePrefetchMisses     :: !(Maybe Word64)
  } deriving (Show, Eq)

-- | @mesos.PerfStatistics@
instance Message PerformanceStatistics where
  encodeFields x =
    doubleField 1 (performanceStatisticsTimestamp x)
      <> doubleField 2 (performanceStatisticsDuration x)
      <> optional (varintField 3 . fromIntegral) (performanceStatisticsCycles x)
      <> optional (varintField 4 . fromIntegral) (performanceStatisticsStalledCyclesFrontend x)
      <> optional (varintField 5 . fromIntegral) (performanceStatisticsStalledCyclesBackend x)
      <> optional (varintField 6 . fromIntegral) (performanceStatisticsInstructions x)
      <> optional (varintField 7 . fromIntegral) (performanceStatisticsCacheReferences x)
      <> optional (varintField 8 . fromIntegral) (performanceStatisticsCacheMisses x)
      <> optional (varintField 9 . fromIntegral) (performanceStatisticsBranches x)
      <> optional (varintField 10 . fromIntegral) (performanceStatisticsBranchMisses x)
      <> optional (varintField 11 . fromIntegral) (performanceStatisticsBusCycles x)
      <> optional (varintField 12 . fromIntegral) (performanceStatisticsRefCycles x)
      <> optional (doubleField 13) (performanceStatisticsCpuClock x)
      <> optional (doubleField 14) (performanceStatisticsTaskClock x)
      <> optional (varintField 15 . fromIntegral) (performanceStatisticsPageFaults x)
      <> optional (varintField 16 . fromIntegral) (performanceStatisticsMinorFaults x)
      <> optional (varintField 17 . fromIntegral) (performanceStatisticsMajorFaults x)
      <> optional (varintField 18 . fromIntegral) (performanceStatisticsContextSwitches x)
      <> optional (varintField 19 . fromIntegral) (performanceStatisticsCpuMigrations x)
      <> optional (varintField 20 . fromIntegral) (performanceStatisticsAlignmentFaults x)
      <> optional (varintField 21 . fromIntegral) (performanceStatisticsEmulationFaults x)
      <> optional (varintField 22 . fromIntegral) (performanceStatisticsL1DcacheLoads x)
      <> optional (varintField 23 . fromIntegral) (performanceStatisticsL1DcacheLoadMisses x)
      <> optional (varintField 24 . fromIntegral) (performanceStatisticsL1DcacheStores x)
      <> optional (varintField 25 . fromIntegral) (performanceStatisticsL1DcacheStoreMisses x)
      <> optional (varintField 26 . fromIntegral) (performanceStatisticsL1DcachePrefetches x)
      <> optional (varintField 27 . fromIntegral) (performanceStatisticsL1DcachePrefetchMisses x)
      <> optional (varintField 28 . fromIntegral) (performanceStatisticsL1IcacheLoads x)
      <> optional (varintField 29 . fromIntegral) (performanceStatisticsL1IcacheLoadMisses x)
      <> optional (varintField 30 . fromIntegral) (performanceStatisticsL1IcachePrefetches x)
      <> optional (varintField 31 . fromIntegral) (performanceStatisticsL1IcachePrefetchMisses x)
      <> optional (varintField 32 . fromIntegral) (performanceStatisticsLlcLoads x)
      <> optional (varintField 33 . fromIntegral) (performanceStatisticsLlcLoadMisses x)
      <> optional (varintField 34 . fromIntegral) (performanceStatisticsLlcStores x)
      <> optional (varintField 35 . fromIntegral) (performanceStatisticsLlcStoreMisses x)
      <> optional (varintField 36 . fromIntegral) (performanceStatisticsLlcPrefetches x)
      <> optional (varintField 37 . fromIntegral) (performanceStatisticsLlcPrefetchMisses x)
      <> optional (varintField 38 . fromIntegral) (performanceStatisticsDtlbLoads x)
      <> optional (varintField 39 . fromIntegral) (performanceStatisticsDtlbLoadMisses x)
      <> optional (varintField 40 . fromIntegral) (performanceStatisticsDtlbStores x)
      <> optional (varintField 41 . fromIntegral) (performanceStatisticsDtlbStoreMisses x)
      <> optional (varintField 42 . fromIntegral) (performanceStatisticsDtlbPrefetches x)
      <> optional (varintField 43 . fromIntegral) (performanceStatisticsDtlbPrefetchMisses x)
      <> optional (varintField 44 . fromIntegral) (performanceStatisticsItlbLoads x)
      <> optional (varintField 45 . fromIntegral) (performanceStatisticsItlbLoadMisses x)
      <> optional (varintField 46 . fromIntegral) (performanceStatisticsBranchLoads x)
      <> optional (varintField 47 . fromIntegral) (performanceStatisticsBranchLoadMisses x)
      <> optional (varintField 48 . fromIntegral) (performanceStatisticsNodeLoads x)
      <> optional (varintField 49 . fromIntegral) (performanceStatisticsNodeLoadMisses x)
      <> optional (varintField 50 . fromIntegral) (performanceStatisticsNodeStores x)
      <> optional (varintField 51 . fromIntegral) (performanceStatisticsNodeStoreMisses x)
      <> optional (varintField 52 . fromIntegral) (performanceStatisticsNodePrefetches x)
      <> optional (varintField 53 . fromIntegral) (performanceStatisticsNodePrefetchMisses x)
  decodeFields fs =
    PerformanceStatistics
      <$> reqDouble "timestamp" 1 fs
      <*> reqDouble "duration" 2 fs
      <*> (fmap fromIntegral <$> optVarint 3 fs)
      <*> (fmap fromIntegral <$> optVarint 4 fs)
      <*> (fmap fromIntegral <$> optVarint 5 fs)
      <*> (fmap fromIntegral <$> optVarint 6 fs)
      <*> (fmap fromIntegral <$> optVarint 7 fs)
      <*> (fmap fromIntegral <$> optVarint 8 fs)
      <*> (fmap fromIntegral <$> optVarint 9 fs)
      <*> (fmap fromIntegral <$> optVarint 10 fs)
      <*> (fmap fromIntegral <$> optVarint 11 fs)
      <*> (fmap fromIntegral <$> optVarint 12 fs)
      <*> optDouble 13 fs
      <*> optDouble 14 fs
      <*> (fmap fromIntegral <$> optVarint 15 fs)
      <*> (fmap fromIntegral <$> optVarint 16 fs)
      <*> (fmap fromIntegral <$> optVarint 17 fs)
      <*> (fmap fromIntegral <$> optVarint 18 fs)
      <*> (fmap fromIntegral <$> optVarint 19 fs)
      <*> (fmap fromIntegral <$> optVarint 20 fs)
      <*> (fmap fromIntegral <$> optVarint 21 fs)
      <*> (fmap fromIntegral <$> optVarint 22 fs)
      <*> (fmap fromIntegral <$> optVarint 23 fs)
      <*> (fmap fromIntegral <$> optVarint 24 fs)
      <*> (fmap fromIntegral <$> optVarint 25 fs)
      <*> (fmap fromIntegral <$> optVarint 26 fs)
      <*> (fmap fromIntegral <$> optVarint 27 fs)
      <*> (fmap fromIntegral <$> optVarint 28 fs)
      <*> (fmap fromIntegral <$> optVarint 29 fs)
      <*> (fmap fromIntegral <$> optVarint 30 fs)
      <*> (fmap fromIntegral <$> optVarint 31 fs)
      <*> (fmap fromIntegral <$> optVarint 32 fs)
      <*> (fmap fromIntegral <$> optVarint 33 fs)
      <*> (fmap fromIntegral <$> optVarint 34 fs)
      <*> (fmap fromIntegral <$> optVarint 35 fs)
      <*> (fmap fromIntegral <$> optVarint 36 fs)
      <*> (fmap fromIntegral <$> optVarint 37 fs)
      <*> (fmap fromIntegral <$> optVarint 38 fs)
      <*> (fmap fromIntegral <$> optVarint 39 fs)
      <*> (fmap fromIntegral <$> optVarint 40 fs)
      <*> (fmap fromIntegral <$> optVarint 41 fs)
      <*> (fmap fromIntegral <$> optVarint 42 fs)
      <*> (fmap fromIntegral <$> optVarint 43 fs)
      <*> (fmap fromIntegral <$> optVarint 44 fs)
      <*> (fmap fromIntegral <$> optVarint 45 fs)
      <*> (fmap fromIntegral <$> optVarint 46 fs)
      <*> (fmap fromIntegral <$> optVarint 47 fs)
      <*> (fmap fromIntegral <$> optVarint 48 fs)
      <*> (fmap fromIntegral <$> optVarint 49 fs)
      <*> (fmap fromIntegral <$> optVarint 50 fs)
      <*> (fmap fromIntegral <$> optVarint 51 fs)
      <*> (fmap fromIntegral <$> optVarint 52 fs)
      <*> (fmap fromIntegral <$> optVarint 53 fs)

-- | A snapshot of a container's resource usage. 'resourceStatisticsCpusLimit' reads as 0 when absent.
data ResourceStatistics = ResourceStatistics
  { resourceStatisticsTimestamp                     :: !Double
  , resourceStatisticsProcesses                     :: !(Maybe Word32)
  , resourceStatisticsThreads                       :: !(Maybe Word32)
  , resourceStatisticsCpusUserTimeSecs              :: !(Maybe Double)
  , resourceStatisticsCpusSystemTimeSecs            :: !(Maybe Double)
  , resourceStatisticsCpusLimit                     :: !Double
  , resourceStatisticsCpusPeriods                   :: !(Maybe Word32)
  , resourceStatisticsCpusThrottled                 :: !(Maybe Word32)
  , resourceStatisticsCpusThrottledTimeSecs         :: !(Maybe Double)
  , resourceStatisticsMemoryTotalBytes              :: !(Maybe Word64)
  , resourceStatisticsMemoryTotalMemSwBytes         :: !(Maybe Word64)
  , resourceStatisticsMemoryLimitBytes              :: !(Maybe Word64)
  , resourceStatisticsMemorySoftLimitBytes          :: !(Maybe Word64)
  , resourceStatisticsMemoryFileBytes               :: !(Maybe Word64)
  , resourceStatisticsMemoryAnonymousBytes          :: !(Maybe Word64)
  , resourceStatisticsMemoryCacheBytes              :: !(Maybe Word64)
  , resourceStatisticsMemoryRssBytes                :: !(Maybe Word64)
  , resourceStatisticsMemoryMappedFileBytes         :: !(Maybe Word64)
  , resourceStatisticsMemorySwapBytes               :: !(Maybe Word64)
  , resourceStatisticsMemoryLowPressureCounter      :: !(Maybe Word64)
  , resourceStatisticsMemoryMediumPressureCounter   :: !(Maybe Word64)
  , resourceStatisticsMemoryCriticalPressureCounter :: !(Maybe Word64)
  , resourceStatisticsDiskLimitBytes                :: !(Maybe Word64)
  , resourceStatisticsDiskUsedBytes                 :: !(Maybe Word64)
  , resourceStatisticsPerformanceStatistics         :: !(Maybe PerformanceStatistics)
  , resourceStatisticsNetRxPackets                  :: !(Maybe Word64)
  , resourceStatisticsNetRxBytes                    :: !(Maybe Word64)
  , resourceStatisticsNetRxErrors                   :: !(Maybe Word64)
  , resourceStatisticsNetRxDropped                  :: !(Maybe Word64)
  , resourceStatisticsNetTxPackets                  :: !(Maybe Word64)
  , resourceStatisticsNetTxBytes                    :: !(Maybe Word64)
  , resourceStatisticsNetTxErrors                   :: !(Maybe Word64)
  , resourceStatisticsNetTxDropped                  :: !(Maybe Word64)
  , resourceStatisticsNetTcpRttMicroSecsP50         :: !(Maybe Double)
  , resourceStatisticsNetTcpRttMicroSecsP90         :: !(Maybe Double)
  , resourceStatisticsNetTcpRttMicroSecsP95         :: !(Maybe Double)
  , resourceStatisticsNetTcpRttMicroSecsP99         :: !(Maybe Double)
  , resourceStatisticsNetTcpActiveConnections       :: !(Maybe Double)
  , resourceStatisticsNetTcpTimeWaitConnections     :: !(Maybe Double)
  , resourceStatisticsNetTrafficControlStats        :: ![TrafficControlStatistics]
  } deriving (Show, Eq)

-- | @mesos.ResourceStatistics@
instance Message ResourceStatistics where
  encodeFields x =
    doubleField 1 (resourceStatisticsTimestamp x)
      <> optional (doubleField 2) (resourceStatisticsCpusUserTimeSecs x)
      <> optional (doubleField 3) (resourceStatisticsCpusSystemTimeSecs x)
      <> doubleField 4 (resourceStatisticsCpusLimit x)
      <> optional (varintField 5 . fromIntegral) (resourceStatisticsMemoryRssBytes x)
      <> optional (varintField 6 . fromIntegral) (resourceStatisticsMemoryLimitBytes x)
      <> optional (varintField 7 . fromIntegral) (resourceStatisticsCpusPeriods x)
      <> optional (varintField 8 . fromIntegral) (resourceStatisticsCpusThrottled x)
      <> optional (doubleField 9) (resourceStatisticsCpusThrottledTimeSecs x)
      <> optional (varintField 10 . fromIntegral) (resourceStatisticsMemoryFileBytes x)
      <> optional (varintField 11 . fromIntegral) (resourceStatisticsMemoryAnonymousBytes x)
      <> optional (varintField 12 . fromIntegral) (resourceStatisticsMemoryMappedFileBytes x)
      <> optional (messageField 13) (resourceStatisticsPerformanceStatistics x)
      <> optional (varintField 14 . fromIntegral) (resourceStatisticsNetRxPackets x)
      <> optional (varintField 15 . fromIntegral) (resourceStatisticsNetRxBytes x)
      <> optional (varintField 16 . fromIntegral) (resourceStatisticsNetRxErrors x)
      <> optional (varintField 17 . fromIntegral) (resourceStatisticsNetRxDropped x)
      <> optional (varintField 18 . fromIntegral) (resourceStatisticsNetTxPackets x)
      <> optional (varintField 19 . fromIntegral) (resourceStatisticsNetTxBytes x)
      <> optional (varintField 20 . fromIntegral) (resourceStatisticsNetTxErrors x)
      <> optional (varintField 21 . fromIntegral) (resourceStatisticsNetTxDropped x)
      <> optional (doubleField 22) (resourceStatisticsNetTcpRttMicroSecsP50 x)
      <> optional (doubleField 23) (resourceStatisticsNetTcpRttMicroSecsP90 x)
      <> optional (doubleField 24) (resourceStatisticsNetTcpRttMicroSecsP95 x)
      <> optional (doubleField 25) (resourceStatisticsNetTcpRttMicroSecsP99 x)
      <> optional (varintField 26 . fromIntegral) (resourceStatisticsDiskLimitBytes x)
      <> optional (varintField 27 . fromIntegral) (resourceStatisticsDiskUsedBytes x)
      <> optional (doubleField 28) (resourceStatisticsNetTcpActiveConnections x)
      <> optional (doubleField 29) (resourceStatisticsNetTcpTimeWaitConnections x)
      <> optional (varintField 30 . fromIntegral) (resourceStatisticsProcesses x)
      <> optional (varintField 31 . fromIntegral) (resourceStatisticsThreads x)
      <> optional (varintField 32 . fromIntegral) (resourceStatisticsMemoryLowPressureCounter x)
      <> optional (varintField 33 . fromIntegral) (resourceStatisticsMemoryMediumPressureCounter x)
      <> optional (varintField 34 . fromIntegral) (resourceStatisticsMemoryCriticalPressureCounter x)
      <> repeated (messageField 35) (resourceStatisticsNetTrafficControlStats x)
      <> optional (varintField 36 . fromIntegral) (resourceStatisticsMemoryTotalBytes x)
      <> optional (varintField 37 . fromIntegral) (resourceStatisticsMemoryTotalMemSwBytes x)
      <> optional (varintField 38 . fromIntegral) (resourceStatisticsMemorySoftLimitBytes x)
      <> optional (varintField 39 . fromIntegral) (resourceStatisticsMemoryCacheBytes x)
      <> optional (varintField 40 . fromIntegral) (resourceStatisticsMemorySwapBytes x)
  decodeFields fs =
    ResourceStatistics
      <$> reqDouble "timestamp" 1 fs
      <*> (fmap fromIntegral <$> optVarint 30 fs)
      <*> (fmap fromIntegral <$> optVarint 31 fs)
      <*> optDouble 2 fs
      <*> optDouble 3 fs
      <*> (fromMaybe 0 <$> optDouble 4 fs)
      <*> (fmap fromIntegral <$> optVarint 7 fs)
      <*> (fmap fromIntegral <$> optVarint 8 fs)
      <*> optDouble 9 fs
      <*> (fmap fromIntegral <$> optVarint 36 fs)
      <*> (fmap fromIntegral <$> optVarint 37 fs)
      <*> (fmap fromIntegral <$> optVarint 6 fs)
      <*> (fmap fromIntegral <$> optVarint 38 fs)
      <*> (fmap fromIntegral <$> optVarint 10 fs)
      <*> (fmap fromIntegral <$> optVarint 11 fs)
      <*> (fmap fromIntegral <$> optVarint 39 fs)
      <*> (fmap fromIntegral <$> optVarint 5 fs)
      <*> (fmap fromIntegral <$> optVarint 12 fs)
      <*> (fmap fromIntegral <$> optVarint 40 fs)
      <*> (fmap fromIntegral <$> optVarint 32 fs)
      <*> (fmap fromIntegral <$> optVarint 33 fs)
      <*> (fmap fromIntegral <$> optVarint 34 fs)
      <*> (fmap fromIntegral <$> optVarint 26 fs)
      <*> (fmap fromIntegral <$> optVarint 27 fs)
      <*> optMessage 13 fs
      <*> (fmap fromIntegral <$> optVarint 14 fs)
      <*> (fmap fromIntegral <$> optVarint 15 fs)
      <*> (fmap fromIntegral <$> optVarint 16 fs)
      <*> (fmap fromIntegral <$> optVarint 17 fs)
      <*> (fmap fromIntegral <$> optVarint 18 fs)
      <*> (fmap fromIntegral <$> optVarint 19 fs)
      <*> (fmap fromIntegral <$> optVarint 20 fs)
      <*> (fmap fromIntegral <$> optVarint 21 fs)
      <*> optDouble 22 fs
      <*> optDouble 23 fs
      <*> optDouble 24 fs
      <*> optDouble 25 fs
      <*> optDouble 28 fs
      <*> optDouble 29 fs
      <*> repMessage 35 fs

-- | The resource usage of an agent's executors.
newtype ResourceUsage = ResourceUsage
  { resourceUsageExecutors :: [ResourceUsageExecutor]
  } deriving (Show, Eq)

-- | @mesos.ResourceUsage@
instance Message ResourceUsage where
  encodeFields = repeated (messageField 1) . resourceUsageExecutors
  decodeFields fs = ResourceUsage <$> repMessage 1 fs

-- | One executor's resources and their usage.
data ResourceUsageExecutor = ResourceUsageExecutor
  { resourceUsageExecutorExecutorInfo :: !ExecutorInfo
  , resourceUsageExecutorAllocated    :: ![Resource]
  , resourceUsageExecutorStatistics   :: !(Maybe ResourceStatistics)
    -- ^ Absent when the isolator cannot tell.
  } deriving (Show, Eq)

-- | @mesos.ResourceUsage.Executor@
instance Message ResourceUsageExecutor where
  encodeFields e =
    messageField 1 (resourceUsageExecutorExecutorInfo e)
      <> repeated (messageField 2) (resourceUsageExecutorAllocated e)
      <> optional (messageField 3) (resourceUsageExecutorStatistics e)
  decodeFields fs =
    ResourceUsageExecutor <$> reqMessage "executor_info" 1 fs <*> repMessage 2 fs <*> optMessage 3 fs

------------------------------------------------------------------------------
-- Raw protobuf

-- | Any message as its wire fields (field number, value), in wire order: a
-- way to read or write fields no record models. Field numbers are those of
-- the public Mesos @mesos.proto@.
newtype RawMessage = RawMessage { rawMessageFields :: [(Int, WireValue)] }
  deriving (Show, Eq)

-- | Every field, written back in order.
instance Message RawMessage where
  encodeFields = encodeWireFields . rawMessageFields
  decodeFields = Right . RawMessage

-- | A record's encoding followed by extra fields. Protobuf merges them as it
-- merges any concatenation: an extra singular field replaces the record's,
-- an extra repeated field adds items.
withRawFields :: Message m => m -> [(Int, WireValue)] -> ByteString
withRawFields record extra = encodeMessage record <> encodeMessage (RawMessage extra)
